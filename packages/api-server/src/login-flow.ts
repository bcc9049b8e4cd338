/**
 * Signing in (POST …/logins): an address and a password in, a short-lived
 * token for the User's own ServiceAccount out (the TokenRequest API), so
 * whatever the person then does is decided by the RBAC the operator gave
 * that ServiceAccount: its own User, Tenant and Namespace, nothing else.
 *
 * - Rate limits before any work: per caller (the identity kube-apiserver
 *   authenticated, e.g. the console) and per address (normalised), token
 *   buckets in memory (service-kit's CallerRateLimiter). Guessing one person's password is
 *   slow whoever asks; one caller cannot flood the hashing either.
 * - One answer for "no such address" and "wrong password" (401,
 *   CNPAAS_API_LOGIN_FAILED, the same message), and about the same time:
 *   an unknown address (or a User whose hash is not stored yet) is checked
 *   against a dummy argon2id hash of the same cost, so the answer's timing
 *   does not tell whether the address is registered.
 * - The password is checked with the webhooks' PasswordHasher (argon2id,
 *   or scrypt hashes made before; constant-time comparison), imported, not
 *   copied: one implementation makes and checks hashes.
 * - Only with the right password does the answer say more: an address not
 *   yet verified gets 403 CNPAAS_API_NOT_VERIFIED (signing in needs a
 *   verified address; docs/design.md "Verification and sign-in" says why).
 *
 * The password, the hash and the token are never logged.
 */
import { randomBytes } from 'node:crypto';
import { CallerRateLimiter, type RateDecision } from '@cnpaas/service-kit';
import { PasswordHasher } from '@cnpaas/webhooks';
import { normaliseEmail, passwordSecretName } from '@cnpaas/webshop-api';
import type { KubeApi, WebshopUser } from './kube-api.js';
import { kubeStep } from './sign-in-failure.js';
import { httpError } from './status.js';

/** TokenRequest's own minimum; long enough for a console session, short enough to matter if it leaks. */
export const LOGIN_TOKEN_SECONDS = 600;
/** Per address: 5 at once, then 10 a minute. */
export const DEFAULT_LOGIN_ADDRESS_LIMIT = { perMinute: 10, burst: 5 } as const;
/** Per caller (the console signs in everyone it serves): 20 at once, then 120 a minute. */
export const DEFAULT_LOGIN_CALLER_LIMIT = { perMinute: 120, burst: 20 } as const;
/** The one message for an unknown address and a wrong password. */
export const LOGIN_FAILED_MESSAGE = 'the email address or the password is not right';

export interface LoginFlowOptions {
  kube: Pick<KubeApi, 'findUsersByEmail' | 'readSecretKey' | 'createServiceAccountToken'>;
  hasher?: PasswordHasher;
  callerLimiter?: CallerRateLimiter;
  addressLimiter?: CallerRateLimiter;
}

export interface LoginRequest {
  caller: string;
  email: string;
  password: string;
}

export interface LoginResult {
  token: string;
  expirationTimestamp: string;
  user: { namespace: string; name: string };
  /** The Tenant (and its Namespace: they share the name). */
  tenant: string;
}

export class LoginFlow {
  readonly callerLimiter: CallerRateLimiter;
  readonly addressLimiter: CallerRateLimiter;
  readonly #options: LoginFlowOptions;
  readonly #hasher: PasswordHasher;
  readonly #dummy: Promise<string>;

  constructor(options: LoginFlowOptions) {
    this.#options = options;
    this.#hasher = options.hasher ?? new PasswordHasher();
    this.callerLimiter = options.callerLimiter ?? new CallerRateLimiter(DEFAULT_LOGIN_CALLER_LIMIT);
    this.addressLimiter = options.addressLimiter ?? new CallerRateLimiter(DEFAULT_LOGIN_ADDRESS_LIMIT);
    // A hash of a random password at the same cost as stored ones, what unknown addresses are checked against.
    // Made at once, not on the first unknown address, whose answer would otherwise take twice as long.
    this.#dummy = this.#hasher.hash(randomBytes(24).toString('base64url'));
    // Awaited by every unknown-address login; this only keeps a failure from being an unhandled rejection.
    this.#dummy.catch(() => undefined);
  }

  async login(request: LoginRequest): Promise<LoginResult> {
    const email = normaliseEmail(request.email);
    limited(this.callerLimiter.take(request.caller), `from ${JSON.stringify(request.caller)}`);
    limited(this.addressLimiter.take(email), 'for this address');

    const { kube } = this.#options;
    const users = await kubeStep('list Users by address', () => kube.findUsersByEmail(email));
    const user: WebshopUser | undefined = users.length === 1 ? users[0] : undefined;
    const hash = user ? await this.#storedHash(user) : undefined;
    // Always one full hash check, against the stored hash or the dummy one: the same work either way.
    const matches = await this.#hasher.verify(request.password, hash ?? (await this.#dummy));
    if (!user || hash === undefined || !matches) throw loginFailed();

    const key = { namespace: user.metadata.namespace, name: user.metadata.name };
    if (!user.status?.verifiedAt) {
      throw httpError('CNPAAS_API_NOT_VERIFIED', {
        code: 403,
        message: 'this address is not verified yet',
        hint: 'open the verification link in your welcome mail, then sign in again',
        details: { name: key.name, kind: 'Login' },
      });
    }
    const issued = await kubeStep(`create a token for ServiceAccount ${key.namespace}/${key.name}`, () =>
      kube.createServiceAccountToken(key, { expirationSeconds: LOGIN_TOKEN_SECONDS }),
    );
    return { ...issued, user: key, tenant: key.namespace };
  }

  async #storedHash(user: WebshopUser): Promise<string | undefined> {
    const name = passwordSecretName(user.metadata.name);
    const secret = await kubeStep(`get Secret ${user.metadata.namespace}/${name}`, () =>
      this.#options.kube.readSecretKey({ namespace: user.metadata.namespace, name, field: 'hash' }),
    );
    return secret?.toString('utf8');
  }
}

function loginFailed() {
  return httpError('CNPAAS_API_LOGIN_FAILED', {
    code: 401,
    message: LOGIN_FAILED_MESSAGE,
    details: { kind: 'Login' },
  });
}

function limited(decision: RateDecision, what: string): void {
  if (decision.allowed) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw httpError('CNPAAS_API_LOGIN_RATE_LIMITED', {
    code: 429,
    reason: 'TooManyRequests',
    message: `too many sign-in attempts ${what}`,
    hint: `retry after ${retryAfterSeconds} s`,
    details: { retryAfterSeconds, kind: 'Login' },
  });
}
