/**
 * Accepting a verification link (POST …/verifications): the token from the
 * welcome mail is checked against the verification key (signature, purpose,
 * expiry), then the User it names is read (by namespace and name, with this
 * server's per-User Role) and must still have the token's UID, so a link
 * never verifies a later namesake. The outcome is recorded as
 * `status.verifiedAt` with a merge patch conditional on the resourceVersion
 * just read: of two uses of one link racing, exactly one records it and the
 * other reads again and finds it used. The operator turns verifiedAt into
 * phase Verified and the Verified condition.
 *
 * Each refusal says which it is (invalid, expired, used, account gone) and
 * what to do, with its own Status code, so the console can say so too.
 */
import { verifyToken } from '@cnpaas/service-kit';
import { VERIFICATION_TOKEN_PURPOSE, type VerificationClaims } from '@cnpaas/webshop-api';
import type { KubeApi, WebshopUser } from './kube-api.js';
import { KubeApiError } from '@cnpaas/kube';
import { kubeStep, signInFailure } from './sign-in-failure.js';
import { httpError } from './status.js';
import type { VerificationKey } from './verification-key.js';

export interface VerificationFlowOptions {
  kube: Pick<KubeApi, 'getUser' | 'findUser' | 'recordVerification'>;
  key: Pick<VerificationKey, 'get'>;
  now?: () => number;
}

export interface VerificationResult {
  user: { namespace: string; name: string };
  verifiedAt: string;
}

/** Conditional writes lost in a row before giving up (each loss means someone else wrote the User). */
const MAX_ROUNDS = 3;

export class VerificationFlow {
  readonly #options: VerificationFlowOptions;

  constructor(options: VerificationFlowOptions) {
    this.#options = options;
  }

  async verify(token: string): Promise<VerificationResult> {
    const now = (this.#options.now ?? Date.now)();
    const check = verifyToken({ key: await this.#options.key.get(), purpose: VERIFICATION_TOKEN_PURPOSE, token, now });
    if (!check.valid) {
      if (check.reason === 'expired') {
        throw httpError('CNPAAS_API_TOKEN_EXPIRED', {
          code: 410,
          reason: 'Expired',
          message: 'this verification link has expired',
          // No new link can be sent yet, and the address stays taken while the account exists: a person can verify it.
          hint: 'links work for 24 hours; ask the webshop to verify your address',
        });
      }
      throw httpError('CNPAAS_API_TOKEN_INVALID', {
        code: 400,
        message: 'this verification link is not valid: it was changed, cut short, or not made by this webshop',
        hint: 'open the link exactly as the welcome mail has it',
        details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.token', message: `token ${check.reason}` }] },
      });
    }
    const claims = check.claims as Partial<VerificationClaims>;
    if (!claims.namespace || !claims.name || !claims.uid) {
      throw httpError('CNPAAS_API_TOKEN_INVALID', {
        code: 400,
        message: 'this verification link is not valid: it names no account',
        hint: 'open the link exactly as the welcome mail has it',
      });
    }
    const key = { namespace: claims.namespace, name: claims.name };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const user = await this.#readUser(key, claims.uid);
      if (!user || user.metadata.uid !== claims.uid) throw userGone();
      if (user.status?.verifiedAt) throw alreadyVerified(user);
      const verifiedAt = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const recorded = await kubeStep(`patch the status of User ${key.namespace}/${key.name}`, () =>
        this.#options.kube.recordVerification(key, { resourceVersion: user.metadata.resourceVersion, verifiedAt }),
      );
      if (recorded === 'gone') throw userGone();
      if (recorded === 'conflict') continue;
      return { user: key, verifiedAt };
    }
    throw httpError('CNPAAS_API_INTERNAL', {
      code: 409,
      reason: 'Conflict',
      message: 'the account changed while it was being verified, several times in a row',
      hint: 'open the link again',
    });
  }

  /**
   * The User, read by name through the per-User Role `<user>-api-server`. Without that Role (403) the
   * User either is not handled by the operator yet (retry: 503) or is gone, and garbage collection took
   * its Role with it: this server's own `list` on Users tells the two apart, so a link to a deleted
   * account is answered "gone" rather than "retry" until it expires.
   */
  async #readUser(key: { namespace: string; name: string }, uid: string): Promise<WebshopUser | undefined> {
    const doing = `get User ${key.namespace}/${key.name}`;
    try {
      return await this.#options.kube.getUser(key);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 403)) throw signInFailure(err, doing);
      const listed = await kubeStep(`list Users named ${key.name} in ${key.namespace}`, () =>
        this.#options.kube.findUser(key),
      );
      if (!listed || listed.metadata.uid !== uid) return listed;
      throw signInFailure(err, doing);
    }
  }
}

function userGone() {
  return httpError('CNPAAS_API_USER_GONE', {
    code: 404,
    message: 'the account this verification link is for no longer exists',
    hint: 'register again',
  });
}

function alreadyVerified(user: WebshopUser) {
  return httpError('CNPAAS_API_ALREADY_VERIFIED', {
    code: 409,
    reason: 'Conflict',
    message: `this verification link was already used: the address was verified at ${user.status?.verifiedAt ?? ''}`,
    hint: 'nothing to do; sign in with your address and password',
    details: { name: user.metadata.name, kind: 'Verification' },
  });
}
