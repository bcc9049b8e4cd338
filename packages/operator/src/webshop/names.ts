/**
 * The webshop's fixed names (docs/design.md "Fixed names" and "The registration flow"):
 * the API group, the system namespace, labels, annotations, finalizers, and
 * how every child object is named. Pure functions, so a crash anywhere and a
 * re-run computes the very same names: that is what makes each step
 * idempotent (create → AlreadyExists → it is ours, carry on).
 */
import { createHash } from 'node:crypto';
import { OperatorError } from '../errors.js';

export const WEBSHOP_GROUP = 'webshop.cnpaas.dev';
export const WEBSHOP_VERSION = 'v1';
export const WEBSHOP_API_VERSION = `${WEBSHOP_GROUP}/${WEBSHOP_VERSION}`;
export const SYSTEM_NAMESPACE = 'cnpaas-system';

/** The default welcome template: EmailTemplate `registration` in cnpaas-system. */
export const DEFAULT_TEMPLATE = { namespace: SYSTEM_NAMESPACE, name: 'registration' } as const;

/** Lease `cnpaas-system/cnpaas-operator`: one active operator at a time. */
export const LEADER_LEASE = { namespace: SYSTEM_NAMESPACE, name: 'cnpaas-operator' } as const;

/** The operator's identity: the CN of its client certificate, and its field manager. */
export const OPERATOR_NAME = 'cnpaas-operator';

/** On every child of a RegistrationRequest (Tenant, Namespace, User, Email): the RR's UID. */
export const REGISTRATION_UID_LABEL = `${WEBSHOP_GROUP}/registration-uid`;
/** On the objects made for one User (its RBAC, its password Secret): the User's UID. */
export const USER_UID_LABEL = `${WEBSHOP_GROUP}/user-uid`;
/** On a Tenant's Namespace: the Tenant's name (so `kubectl get ns -l` finds it). */
export const TENANT_LABEL = `${WEBSHOP_GROUP}/tenant`;
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/**
 * Carries the password hash from the RegistrationRequest to the User (the
 * original demo's way, docs/design.md "Origins"; the User webhook accepts
 * only a hash here). The User controller moves it into a Secret and removes it.
 */
export const PASSWORD_ANNOTATION = `${WEBSHOP_GROUP}/password`;

/** On a Tenant: its Namespace is deleted, and gone, before the Tenant goes. */
export const TENANT_FINALIZER = `${WEBSHOP_GROUP}/tenant-namespace`;
/** On a User: its cluster-scoped RBAC (owned by the Tenant) is deleted when the User goes. */
export const USER_FINALIZER = `${WEBSHOP_GROUP}/user-cluster-rbac`;

/** Email claims (ConfigMaps in cnpaas-system), as packages/webhooks/src/email-claim.ts writes them. */
export const CLAIM_LABEL = `${WEBSHOP_GROUP}/email-claim`;
export const CLAIM_NAME_PREFIX = 'email-claim-';
const CLAIM_HASH_HEX_LENGTH = 32;

/** What the operator calls the children of one registration. */
export interface RegistrationNames {
  /** The RR's UID, as put on every child's registration-uid label. */
  uid: string;
  tenant: string;
  namespace: string;
  user: string;
  email: string;
}

const UID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * `t-<first 12 hex of the RR UID>` for the Tenant, its Namespace and the
 * User; `<user>-welcome` for the Email. 48 bits of a random UUID: a clash
 * is practically impossible, and if it happens the label check turns it
 * into a NameConflict rather than a takeover.
 */
export function registrationNames(uid: string | undefined): RegistrationNames {
  if (!uid || !UID.test(uid)) {
    throw new OperatorError(
      'CNPAAS_OPERATOR_BAD_OBJECT',
      `a RegistrationRequest's metadata.uid must be a UUID, got ${JSON.stringify(uid ?? null)}`,
      {
        hint: 'only objects read from the apiserver carry a UID',
      },
    );
  }
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

/** The trim-and-lower-case normal form the webhooks store (packages/webhooks/src/validation.ts). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailSha256(normalisedEmail: string): string {
  return createHash('sha256').update(normalisedEmail, 'utf8').digest('hex');
}

/** `email-claim-<first 32 hex of sha256(normalised email)>`: must equal the webhooks' `claimNameFor`. */
export function claimNameFor(email: string): string {
  return CLAIM_NAME_PREFIX + emailSha256(normaliseEmail(email)).slice(0, CLAIM_HASH_HEX_LENGTH);
}

/** How soon a controller looks again at a NameConflict (nothing it watches says when the obstacle goes). */
export const NAME_CONFLICT_REQUEUE_MS = 60_000;
