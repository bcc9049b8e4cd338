/**
 * The webshop's fixed names (docs/design.md "Fixed names" and "The
 * registration flow"), written once: the API groups, the system namespace,
 * labels, annotations, finalizers, and how every child object and email
 * claim is named. The CRD group and version come from the generated code, so
 * the CRD YAML stays their one source.
 *
 * The naming functions are pure: a crash anywhere and a re-run computes the
 * very same names, which is what makes each step of the operator idempotent
 * (create → AlreadyExists → it is ours, carry on), and what lets the
 * webhooks and the operator agree on a claim's name without talking.
 */
import { createHash } from 'node:crypto';
import { TENANT_RESOURCE } from './generated/tenants.js';

/** The CRD group and version (every webshop CRD has the same ones; crds.test.ts checks). */
export const WEBSHOP_GROUP = TENANT_RESOURCE.group;
export const WEBSHOP_VERSION = TENANT_RESOURCE.version;
export const WEBSHOP_API_VERSION = `${WEBSHOP_GROUP}/${WEBSHOP_VERSION}`;

/** Holds the default EmailTemplate, the leader Leases, the email claims and the demo's HTTPTrigger. */
export const SYSTEM_NAMESPACE = 'cnpaas-system';

/** The default welcome template: EmailTemplate `registration` in the system namespace. */
export const DEFAULT_TEMPLATE = { namespace: SYSTEM_NAMESPACE, name: 'registration' } as const;

/** On every child of a RegistrationRequest (Tenant, Namespace, User, Email): the RR's UID. */
export const REGISTRATION_UID_LABEL = `${WEBSHOP_GROUP}/registration-uid`;
/** On the objects made for one User (its RBAC, its password Secret, its email claim): the User's UID. */
export const USER_UID_LABEL = `${WEBSHOP_GROUP}/user-uid`;
/** On a Tenant's Namespace: the Tenant's name (so `kubectl get ns -l` finds it). */
export const TENANT_LABEL = `${WEBSHOP_GROUP}/tenant`;

/**
 * Carries the password hash from the RegistrationRequest to the User (the
 * original demo's way, docs/design.md "Origins"; the User webhook accepts
 * only a hash here). The User controller moves it into a Secret and removes it.
 */
export const PASSWORD_ANNOTATION = `${WEBSHOP_GROUP}/password`;
/** The type of the Secret that holds a User's password hash. */
export const PASSWORD_SECRET_TYPE = `${WEBSHOP_GROUP}/password-hash`;

/** On a Tenant: its Namespace is deleted, and gone, before the Tenant goes. */
export const TENANT_FINALIZER = `${WEBSHOP_GROUP}/tenant-namespace`;
/** On a User: its cluster-scoped RBAC (owned by the Tenant) is deleted when the User goes. */
export const USER_FINALIZER = `${WEBSHOP_GROUP}/user-cluster-rbac`;

/**
 * Email claims: a ConfigMap in the system namespace per normalised address,
 * created by the validating webhook (creating it is the lock) and released
 * by the operator once its owner is gone.
 */
export const CLAIM_LABEL = `${WEBSHOP_GROUP}/email-claim`;
/** Who holds a claim, for people reading it: `RegistrationRequest/<name>` or `User/<namespace>/<name>`. */
export const CLAIMED_BY_ANNOTATION = `${WEBSHOP_GROUP}/claimed-by`;
export const CLAIM_NAME_PREFIX = 'email-claim-';
/** 128 bits of the digest: a collision between two addresses is not a practical concern. */
export const CLAIM_HASH_HEX_LENGTH = 32;

/** The aggregated API: group, version and its one resource (docs/design.md "Fixed names"). */
export const API_GROUP = 'api.webshop.cnpaas.dev';
export const API_VERSION = 'v1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
/** The APIService that registers the aggregated API: `<version>.<group>`. */
export const APISERVICE_NAME = `${API_VERSION}.${API_GROUP}`;
/** A POST-only, cluster-scoped resource of the aggregated API, and the path it is created at. */
function createOnly<const N extends { plural: string; singular: string; kind: string }>(names: N) {
  const resource = { ...names, verbs: ['create'] as const, namespaced: false as const };
  return { resource, path: `/apis/${API_GROUP_VERSION}/${names.plural}` };
}

/** POST-only, cluster-scoped (a registration creates a tenant, which is cluster-scoped). */
const registrations = createOnly({ plural: 'registrations', singular: 'registration', kind: 'Registration' });
export const REGISTRATIONS = registrations.resource;
export const REGISTRATIONS_PATH = registrations.path;
/** Set by the api-server on every RegistrationRequest it creates: who asked (the create runs as the server). */
export const REQUESTED_BY_ANNOTATION = `${API_GROUP}/requested-by`;

/**
 * Verifying an address and signing in (docs/design.md "Verification and
 * sign-in"): two more POST-only, cluster-scoped resources of the aggregated
 * API. Neither stores anything under its own name: a verification records
 * `status.verifiedAt` on the User, a login answers with a short-lived token
 * for the User's ServiceAccount.
 */
const verifications = createOnly({ plural: 'verifications', singular: 'verification', kind: 'Verification' });
export const VERIFICATIONS = verifications.resource;
export const VERIFICATIONS_PATH = verifications.path;
const logins = createOnly({ plural: 'logins', singular: 'login', kind: 'Login' });
export const LOGINS = logins.resource;
export const LOGINS_PATH = logins.path;

/**
 * The key that signs verification links: Secret `cnpaas-verification-key`
 * in the system namespace, key `key` (32 random bytes), made by `cnpaas up`
 * and `cnpaas install`. The email function signs with it, cnpaas-api-server
 * checks with it; each may read that one Secret only (RBAC resourceNames).
 */
export const VERIFICATION_KEY_SECRET = {
  namespace: SYSTEM_NAMESPACE,
  name: 'cnpaas-verification-key',
  key: 'key',
} as const;
/**
 * The aggregated API server's own identity (its client certificate's CN). The
 * operator binds it, per User, to a Role that reaches that User's password
 * Secret, ServiceAccount token and status, and nothing else.
 */
export const API_SERVER_USER = 'cnpaas-api-server';
/** The same server in a cluster (deploy/): its ServiceAccount. The operator's per-User RoleBinding names both. */
export const API_SERVER_SERVICE_ACCOUNT = { namespace: SYSTEM_NAMESPACE, name: 'cnpaas-api-server' } as const;
/** The Role and RoleBinding `<user>-api-server` in the User's namespace that do it. */
export function apiServerAccessName(user: string): string {
  return `${user}-api-server`;
}
/** Bound into every verification token's signed payload: this key signs nothing else that could pass for one. */
export const VERIFICATION_TOKEN_PURPOSE = `${API_GROUP}/verification`;
/** What a verification token says, all of it public: which User (by namespace, name and UID). */
export interface VerificationClaims {
  namespace: string;
  name: string;
  uid: string;
}
/**
 * The placeholder for the verification link in an EmailTemplate. The
 * operator leaves it in the Email as it is; the email function replaces it
 * with a freshly signed link when it sends, so the token exists only in the
 * mail, never in a stored object.
 */
export const VERIFICATION_URL_PLACEHOLDER = '{{ .verificationUrl }}';

/** What one registration's children are called. */
export interface RegistrationNames {
  /** The RR's UID, as put on every child's registration-uid label. */
  uid: string;
  tenant: string;
  namespace: string;
  user: string;
  email: string;
}

/** A Kubernetes UID: a UUID, with or without dashes. */
export const UID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * `t-<first 12 hex of the RR UID>` for the Tenant, its Namespace and the
 * User; `<user>-welcome` for the Email. 48 bits of a random UUID: a clash is
 * practically impossible, and if it happens the operator's label check turns
 * it into a NameConflict rather than a takeover. `uid` must match
 * UID_PATTERN; the caller checks it and raises its own error.
 */
export function registrationNamesFor(uid: string): RegistrationNames {
  const base = `t-${uid.replace(/-/g, '').slice(0, 12).toLowerCase()}`;
  return { uid, tenant: base, namespace: base, user: base, email: welcomeEmailName(base) };
}

export function welcomeEmailName(user: string): string {
  return `${user}-welcome`;
}

/** The Secret holding a User's password hash (the original used the User's UID; a readable name is kinder to kubectl). */
export function passwordSecretName(user: string): string {
  return `${user}-password`;
}

/**
 * The ClusterRole and ClusterRoleBinding that let one User read its Tenant.
 * Cluster-scoped, so the name must be unique across namespaces:
 * `webshop-user.<namespace>.<user>` (a namespace is a DNS label, so the
 * first dot after it is unambiguous). Too long for 253 characters, it
 * becomes a hash of the pair.
 */
export function userClusterRbacName(namespace: string, user: string): string {
  const name = `webshop-user.${namespace}.${user}`;
  if (name.length <= 253) return name;
  return `webshop-user.${createHash('sha256').update(`${namespace}/${user}`).digest('hex').slice(0, 40)}`;
}

/** The stored form of an address: trimmed, the whole address lower-cased, so uniqueness ignores case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailSha256(normalisedEmail: string): string {
  return createHash('sha256').update(normalisedEmail, 'utf8').digest('hex');
}

/** `email-claim-<first 32 hex of sha256(normalised email)>`, for an address in any case or spacing. */
export function claimNameFor(email: string): string {
  return CLAIM_NAME_PREFIX + emailSha256(normaliseEmail(email)).slice(0, CLAIM_HASH_HEX_LENGTH);
}
