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
 *   that holds the claim) finds the claim is its own and is allowed.
 * - On a dry run nothing is written (the webhook declares
 *   `sideEffects: NoneOnDryRun`): the existing claim and users are checked
 *   read-only.
 * - Existing Users are also checked, with a consistent LIST (not a cache), as
 *   a backstop for users that predate claims. The LIST runs before the claim
 *   is created so a request denied for an existing user leaves no claim
 *   behind.
 * - Claims are released by the operator once their registration and user are
 *   both gone, after a grace period; a claim left by a create that failed
 *   after admission blocks the address until then.
 *
 * The Kubernetes calls sit behind `ClaimStore` so the logic is tested with an
 * in-memory store that reproduces the races (test-support.ts), and runs
 * against the apiserver with kube-claim-store.ts.
 */
import { claimNameFor, emailSha256 } from '@cnpaas/webshop-api';
import { WebhooksError, errorMessage } from './errors.js';
import { deny, type AdmissionRequest, type AdmissionResponse } from '@cnpaas/service-kit';

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
  /** Already normalised (validation.ts `normaliseEmail`). */
  email: string;
  owner: ClaimOwner;
  dryRun: boolean;
  /** The object under review, when it is a User: it is not its own duplicate (UPDATE, or a create retried). */
  self?: { namespace: string; name: string };
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
