/**
 * Email uniqueness that holds under concurrency (docs/design.md, "The registration
 * flow" step 3).
 *
 * The original demo looked for Users with the email in an informer cache, so
 * two registrations arriving together both saw "no such user" and both got
 * in. Here the lock is a *claim object* whose name is derived from the
 * normalised email: creating an object whose name is taken fails atomically
 * in the store (etcd's create-if-absent txn), so of any number of concurrent
 * registrations with one email exactly one creates the claim and the rest get
 * AlreadyExists → 409 Conflict.
 *
 * - The same owner asking again (the apiserver retrying a webhook call for
 *   the same object, or the operator creating the User of the registration
 *   that holds the claim) finds the claim is its own and is allowed. A
 *   registration's User reads the claim first (`likelyHeld`): when it is its
 *   registration's, that is the whole answer, one GET instead of the LIST,
 *   a failed create and a GET. The LIST ran when the registration took the
 *   claim, and since then no other User can have got the address without
 *   the claim.
 * - On a dry run nothing is written (the webhook declares
 *   `sideEffects: NoneOnDryRun`): the existing claim and users are checked
 *   read-only.
 * - Existing Users are also checked, as a backstop for users that predate
 *   claims: in the process's index of Users by email (user-email-index.ts,
 *   kept by a watch) once it has listed, with a consistent LIST before that.
 *   A cache is enough here because the Users it can miss are the newest,
 *   and every new User was admitted with a claim, which the create below
 *   runs into. The check runs before the claim is created so a request
 *   denied for an existing user leaves no claim behind.
 * - Claims are released by the operator once their registration and user are
 *   both gone, after a grace period; a claim left by a create that failed
 *   after admission blocks the address until then.
 *
 * The Kubernetes calls sit behind `ClaimStore`: `KubeClaimStore` below makes
 * them (its API semantics are proven against a real kube-apiserver in
 * email-claim.live.test.ts); the interleavings a real apiserver cannot be
 * made to produce on cue (a claim released between our create and our read)
 * are played by test-support.ts's in-memory store.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { httpStatusOf, ResourceClient, type ResourceRef } from '@cnpaas/kube';
import { deny, type AdmissionRequest, type AdmissionResponse } from '@cnpaas/service-kit';
import {
  CLAIM_LABEL,
  CLAIMED_BY_ANNOTATION,
  claimNameFor,
  emailSha256,
  normaliseEmail,
  REGISTRATION_UID_LABEL,
  SYSTEM_NAMESPACE,
  USER_RESOURCE,
  USER_UID_LABEL,
  readEmailClaim,
} from '@cnpaas/webshop-api';
import { WebhooksError, errorMessage } from './errors.js';

/**
 * Claim naming is the contract's (@cnpaas/webshop-api), so the operator that
 * releases claims computes the same names: `email-claim-<first 32 hex of
 * sha256(normalised email)>`, 128 bits, short enough for a label value (≤ 63).
 * `claimNameFor` normalises the address itself, so a caller may pass either form.
 */
export { CLAIM_HASH_HEX_LENGTH, CLAIM_NAME_PREFIX, emailSha256, claimNameFor } from '@cnpaas/webshop-api';

/** Who holds a claim. Two requests are "the same owner" exactly when their `uid`s are equal. */
export interface ClaimOwner {
  /**
   * The registration's UID: a RegistrationRequest's `metadata.uid`, or a
   * User's `webshop.cnpaas.dev/registration-uid` label. For a User created
   * without a registration, that User's own UID.
   */
  uid: string;
  uidKind: 'registration' | 'user';
  /** For people reading the claim: "RegistrationRequest/r-x7k2p" or "User/t-1a2b/t-1a2b". */
  claimedBy: string;
}

export interface EmailClaim {
  /** `email-claim-<first 32 hex of sha256(normalised email)>`. */
  name: string;
  /** The full digest, to tell a (practically impossible) prefix collision from a real duplicate. */
  emailSha256: string;
  owner: ClaimOwner;
  /** RFC 3339. */
  claimedAt: string;
}

/** A User found by email. */
export interface UserRecord {
  namespace: string;
  name: string;
  /** The User's registration-uid label, when it has one. */
  registrationUid?: string;
}

/**
 * The Kubernetes calls the claim logic needs. Implementations must make
 * `createClaim` atomic (create-if-absent) and `listUsersByEmail` a consistent
 * read; they throw on any failure other than "already exists" / "not found".
 */
export interface ClaimStore {
  /** Creates the claim unless one of that name exists. */
  createClaim(claim: EmailClaim): Promise<'created' | 'exists'>;
  /** The claim of that name, or undefined when there is none. */
  readClaim(name: string): Promise<EmailClaim | undefined>;
  /** Users whose `spec.email`, normalised, equals `email` (already normalised). */
  listUsersByEmail(email: string): Promise<UserRecord[]>;
}

export type ClaimOutcome =
  /** This request created the claim. */
  | { outcome: 'claimed'; claimName: string }
  /** The claim exists and is this owner's (a retry, or a registration's own User). */
  | { outcome: 'already-ours'; claimName: string }
  /** Dry run: no claim written; nothing conflicting found. */
  | { outcome: 'dry-run'; claimName: string }
  /** Another owner has the address: a claim of another registration, or an existing User. */
  | { outcome: 'taken'; claimName: string; by: 'claim' | 'user'; holder: string };

export interface ClaimRequest {
  /** Already normalised (`normaliseEmail`). */
  email: string;
  owner: ClaimOwner;
  dryRun: boolean;
  /** The object under review, when it is a User: it is not its own duplicate (UPDATE, or a create retried). */
  self?: { namespace: string; name: string };
  /**
   * The owner most likely holds the claim already (a registration's User: the registration took it). The
   * claim is read first, and if it is the owner's the answer is `already-ours`; otherwise (none, or
   * someone else's) the full path decides. Not on a dry run, which takes the full read-only path.
   */
  likelyHeld?: boolean;
}

export interface EmailClaimsOptions {
  store: ClaimStore;
  /** For claimedAt; default the wall clock. */
  now?: () => Date;
  /** Told every outcome, for metrics. */
  onOutcome?: (outcome: ClaimOutcome['outcome']) => void;
}

/** How often a create that found a claim is retried when that claim vanished before it could be read. */
const MAX_ATTEMPTS = 3;

export class EmailClaims {
  readonly #store: ClaimStore;
  readonly #now: () => Date;
  readonly #onOutcome: ((outcome: ClaimOutcome['outcome']) => void) | undefined;

  constructor(options: EmailClaimsOptions) {
    this.#store = options.store;
    this.#now = options.now ?? (() => new Date());
    this.#onOutcome = options.onOutcome;
  }

  /** Claims `request.email` for `request.owner`. Throws `CNPAAS_WEBHOOKS_CLAIM_STORE` when the store fails. */
  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const result = await this.#claim(request);
    this.#onOutcome?.(result.outcome);
    return result;
  }

  async #claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const { email, owner } = request;
    const name = claimNameFor(email);
    const digest = emailSha256(email);

    if (request.likelyHeld && !request.dryRun) {
      const held = await this.#call('read claim', () => this.#store.readClaim(name));
      if (held?.owner.uid === owner.uid) return { outcome: 'already-ours', claimName: name };
    }

    const users = await this.#call('list users by email', () => this.#store.listUsersByEmail(email));
    const other = users.find(
      (u) => !isSelf(u, request) && !(owner.uidKind === 'registration' && u.registrationUid === owner.uid),
    );
    if (other)
      return { outcome: 'taken', claimName: name, by: 'user', holder: `User/${other.namespace}/${other.name}` };

    if (request.dryRun) {
      const existing = await this.#call('read claim', () => this.#store.readClaim(name));
      if (existing && existing.owner.uid !== owner.uid) return this.#taken(name, digest, existing);
      return { outcome: 'dry-run', claimName: name };
    }

    const claim: EmailClaim = { name, emailSha256: digest, owner, claimedAt: this.#now().toISOString() };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const created = await this.#call('create claim', () => this.#store.createClaim(claim));
      if (created === 'created') return { outcome: 'claimed', claimName: name };
      const existing = await this.#call('read claim', () => this.#store.readClaim(name));
      // Released between our create and our read (the operator's clean-up): try to take it again.
      if (!existing) continue;
      if (existing.owner.uid === owner.uid) return { outcome: 'already-ours', claimName: name };
      return this.#taken(name, digest, existing);
    }
    throw new WebhooksError(
      'CNPAAS_WEBHOOKS_CLAIM_STORE',
      `email claim ${name} was created and released ${MAX_ATTEMPTS} times while this request tried to take it`,
      {
        hint: 'retry the request; if it keeps happening, check what deletes claims in the system namespace',
      },
    );
  }

  #taken(name: string, digest: string, existing: EmailClaim): ClaimOutcome {
    if (existing.emailSha256 !== digest) {
      // Two addresses sharing 128 bits of sha256: report it as a fault, never as a duplicate address.
      throw new WebhooksError(
        'CNPAAS_WEBHOOKS_CLAIM_STORE',
        `email claim ${name} belongs to a different address (hash prefix collision)`,
        {
          hint: 'report this: the claim name needs more hash digits',
        },
      );
    }
    return { outcome: 'taken', claimName: name, by: 'claim', holder: existing.owner.claimedBy };
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WebhooksError) throw err;
      throw new WebhooksError('CNPAAS_WEBHOOKS_CLAIM_STORE', `${what} failed: ${errorMessage(err)}`, {
        hint: 'check that the webhooks can reach the apiserver and have RBAC for configmaps in cnpaas-system and for listing users',
        cause: err,
      });
    }
  }
}

function isSelf(user: UserRecord, request: ClaimRequest): boolean {
  return request.self !== undefined && user.namespace === request.self.namespace && user.name === request.self.name;
}

/** The 409 for a taken address. It names the address (the requester sent it) but not who holds it. */
export function denyEmailTaken(
  request: Pick<AdmissionRequest, 'uid'>,
  options: { email: string; field: string; outcome: ClaimOutcome & { outcome: 'taken' } },
): AdmissionResponse {
  const { email, field, outcome } = options;
  const message =
    outcome.by === 'user'
      ? `${field}: the email address ${email} is already registered; sign in with it, or register with another address`
      : `${field}: the email address ${email} is already being registered by another registration; wait for it to finish and sign in, or register with another address`;
  return deny(request, {
    code: 409,
    reason: 'Conflict',
    message,
    details: { causes: [{ reason: 'FieldValueDuplicate', message: 'email address is already registered', field }] },
  });
}

/** The answer when the claim could not be checked: 503, so clients know a retry may succeed. */
export function denyClaimUnavailable(request: Pick<AdmissionRequest, 'uid'>, err: unknown): AdmissionResponse {
  return deny(request, {
    code: 503,
    reason: 'ServiceUnavailable',
    message: `could not check that the email address is unique, retry shortly (${errorMessage(err)})`,
  });
}

// --- The claims on the Kubernetes API -------------------------------------

/**
 * `ClaimStore` on the Kubernetes API: email claims are ConfigMaps in
 * `cnpaas-system`, Users are listed with a consistent read.
 *
 * Why a ConfigMap for the claim (and not a Lease or a CRD):
 * - it is a core type, present before any CRD is installed and stored in the
 *   default backend, so the lock needs nothing else to exist first;
 * - creating a ConfigMap whose name is taken fails with AlreadyExists
 *   atomically in the store (etcd's create-if-absent txn), which is all the
 *   lock needs; `immutable: true` keeps it from being edited, only deleted;
 * - a Lease would suggest renewal and holders that expire, which claims do
 *   not have, and would sit next to the operator's leader Lease;
 * - an `EmailClaim` CRD would read better in kubectl but needs its own
 *   install, RBAC and a routing decision; `ClaimStore` keeps that swap local.
 * RBAC: create and get on configmaps in cnpaas-system, list and watch on users
 * (manifests/rbac.yaml). RBAC cannot restrict `create` by name, so the
 * webhooks' identity must not be shared.
 *
 * With a `userIndex` that has listed, Users are read from it and not asked
 * for. Otherwise they are LISTed without a resourceVersion: a consistent read, which the
 * apiserver answers from storage or, with its watch cache on, from the cache
 * once the cache has caught up with storage's current revision (consistent
 * reads from cache, on by default since Kubernetes 1.31). Either way the
 * answer holds every User written before the request. The LIST carries a
 * field selector on spec.email when the User CRD declares it selectable; a
 * full list is filtered here otherwise. The exact-match selector finds every User
 * with the address because the User webhook admits only normalised emails.
 */
export const CONFIGMAPS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const USERS: ResourceRef = {
  group: USER_RESOURCE.group,
  version: USER_RESOURCE.version,
  plural: USER_RESOURCE.plural,
  kind: USER_RESOURCE.kind,
  namespaced: USER_RESOURCE.namespaced,
};

/** The contract's claim label and annotation (@cnpaas/webshop-api), re-exported for the package's own API. */
export { CLAIM_LABEL, USER_UID_LABEL, CLAIMED_BY_ANNOTATION } from '@cnpaas/webshop-api';

export interface ConfigMap extends KubernetesObject {
  data?: Record<string, string>;
  immutable?: boolean;
}

export type UserObject = KubernetesObject & { spec?: { email?: unknown } };

/** What the claim check needs of a User: where it is, and the registration that made it, if one did. */
export function userRecordOf(user: KubernetesObject): UserRecord {
  const record: UserRecord = { namespace: user.metadata?.namespace ?? '', name: user.metadata?.name ?? '' };
  const registrationUid = user.metadata?.labels?.[REGISTRATION_UID_LABEL];
  if (registrationUid) record.registrationUid = registrationUid;
  return record;
}

/**
 * The claim as a ConfigMap. Labels let the operator's clean-up select claims
 * by owner (`webshop.cnpaas.dev/registration-uid` or `…/user-uid`); the
 * address itself is not stored, only its sha256.
 */
export function claimToConfigMap(claim: EmailClaim, namespace: string = SYSTEM_NAMESPACE): ConfigMap {
  const ownerLabel = claim.owner.uidKind === 'registration' ? REGISTRATION_UID_LABEL : USER_UID_LABEL;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: claim.name,
      namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'cnpaas-webhooks',
        [CLAIM_LABEL]: 'true',
        [ownerLabel]: claim.owner.uid,
      },
      annotations: { [CLAIMED_BY_ANNOTATION]: claim.owner.claimedBy },
    },
    immutable: true,
    data: {
      emailSha256: claim.emailSha256,
      ownerUid: claim.owner.uid,
      ownerUidKind: claim.owner.uidKind,
      claimedBy: claim.owner.claimedBy,
      claimedAt: claim.claimedAt,
    },
  };
}

/** Reads a claim back; a ConfigMap that does not have the claim's fields is reported, not guessed at. */
export function claimFromConfigMap(cm: ConfigMap): EmailClaim {
  const claim = readEmailClaim(cm);
  if (!claim) {
    throw new WebhooksError(
      'CNPAAS_WEBHOOKS_CLAIM_STORE',
      `ConfigMap ${cm.metadata?.namespace ?? ''}/${cm.metadata?.name ?? ''} is not an email claim (fields missing)`,
      {
        hint: 'delete it: the next registration with that email re-creates it',
      },
    );
  }
  return {
    name: claim.name,
    emailSha256: claim.emailSha256,
    owner: { uid: claim.ownerUid, uidKind: claim.ownerUidKind, claimedBy: claim.claimedBy },
    claimedAt: claim.claimedAt ?? '',
  };
}

export interface KubeClaimStoreOptions {
  /** Where claims live; default cnpaas-system. */
  namespace?: string;
  /** Socket idle timeout per call; well under the webhook's 10 s. Default 4 s. */
  requestTimeoutMs?: number;
  /**
   * Users by email from a watch (user-email-index.ts). Once it has listed, `listUsersByEmail` reads it instead of
   * asking the apiserver; until then, and without one, it makes the consistent LIST.
   */
  userIndex?: { lookup(email: string): UserRecord[] | undefined };
}

export class KubeClaimStore implements ClaimStore {
  readonly #kc: KubeConfig;
  readonly #namespace: string;
  readonly #timeoutMs: number;
  readonly #configMaps: ResourceClient<ConfigMap>;
  readonly #userIndex: KubeClaimStoreOptions['userIndex'];
  /** Cleared after the apiserver refused the field selector once (the CRD does not declare spec.email selectable). */
  #fieldSelectorWorks = true;

  constructor(kc: KubeConfig, options: KubeClaimStoreOptions = {}) {
    this.#kc = kc;
    this.#namespace = options.namespace ?? SYSTEM_NAMESPACE;
    this.#timeoutMs = options.requestTimeoutMs ?? 4000;
    this.#userIndex = options.userIndex;
    this.#configMaps = new ResourceClient<ConfigMap>(kc, CONFIGMAPS, {
      namespace: this.#namespace,
      requestTimeoutMs: this.#timeoutMs,
    });
  }

  async createClaim(claim: EmailClaim): Promise<'created' | 'exists'> {
    try {
      await this.#configMaps.create(claimToConfigMap(claim, this.#namespace), { fieldManager: 'cnpaas-webhooks' });
      return 'created';
    } catch (err) {
      // On a create, 409 means exactly one thing: the name is taken.
      if (httpStatusOf(err) === 409) return 'exists';
      if (httpStatusOf(err) === 404) {
        throw new WebhooksError('CNPAAS_WEBHOOKS_CLAIM_STORE', `namespace ${this.#namespace} does not exist`, {
          hint: `create it (cnpaas up does) before registering the webhooks`,
          cause: err,
        });
      }
      throw err;
    }
  }

  async readClaim(name: string): Promise<EmailClaim | undefined> {
    try {
      return claimFromConfigMap(await this.#configMaps.get({ namespace: this.#namespace, name }));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async listUsersByEmail(email: string): Promise<UserRecord[]> {
    const indexed = this.#userIndex?.lookup(email);
    if (indexed) return indexed;
    let items: UserObject[];
    if (this.#fieldSelectorWorks) {
      try {
        items = await this.#listUsers(`spec.email=${email}`);
      } catch (err) {
        // "field label not supported": the User CRD has no selectableFields for spec.email.
        if (httpStatusOf(err) !== 400) throw err;
        this.#fieldSelectorWorks = false;
        items = await this.#listUsers(undefined);
      }
    } else {
      items = await this.#listUsers(undefined);
    }
    return items
      .filter((u) => typeof u.spec?.email === 'string' && normaliseEmail(u.spec.email) === email)
      .map(userRecordOf);
  }

  async #listUsers(fieldSelector: string | undefined): Promise<UserObject[]> {
    const client = new ResourceClient<UserObject>(this.#kc, USERS, {
      requestTimeoutMs: this.#timeoutMs,
      ...(fieldSelector ? { fieldSelector } : {}),
    });
    return (await client.list()).items;
  }
}
