/**
 * Verification and sign-in on an in-memory User API, for what a real
 * apiserver cannot be made to do on cue and for logic with no API in it:
 * another use of a link winning between our read and our conditional write,
 * token checks (expiry, tamper, wrong key), the rate limits, and one answer
 * (and one hash check) for an unknown address and a wrong password. The API
 * semantics of verification (the per-User Role, the resourceVersion
 * precondition, 403 before the operator's Role exists, namesakes) are in
 * verification-flow.live.test.ts on a real kube-apiserver; the whole path
 * with the TokenRequest is in component.live.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { CallerRateLimiter, signToken } from '@cnpaas/service-kit';
import { PasswordHasher } from '@cnpaas/webhooks';
import { VERIFICATION_TOKEN_PURPOSE } from '@cnpaas/webshop-api';
import { describe, expect, it } from 'vitest';
import { escapeFieldSelectorValue, type KubeApi, type ObjectKey, type WebshopUser } from './kube-api.js';
import { LOGIN_FAILED_MESSAGE, LoginFlow } from './login-flow.js';
import { VerificationFlow } from './verification-flow.js';
import { refusal } from './test-support/refusal.js';

const KEY = randomBytes(32);
const NOW = Date.UTC(2026, 0, 1, 12);
const UID = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** The in-memory User API; `beforeWrite` injects another writer between our read and our write. */
class MemoryKube implements Pick<
  KubeApi,
  'getUser' | 'findUser' | 'recordVerification' | 'findUsersByEmail' | 'readSecretKey' | 'createServiceAccountToken'
> {
  users = new Map<string, WebshopUser>();
  secrets = new Map<string, Buffer>();
  tokens: ObjectKey[] = [];
  secretReads = 0;
  /** Runs once before the next conditional write, like another writer getting there first. */
  beforeWrite: (() => void) | undefined;
  #rv = 1;

  addUser(name: string, options: { email: string; verifiedAt?: string; uid?: string }): WebshopUser {
    const user: WebshopUser = {
      metadata: { namespace: name, name, uid: options.uid ?? UID, resourceVersion: String(this.#rv++) },
      spec: { firstName: 'Ada', lastName: 'Lovelace', email: options.email },
      status: options.verifiedAt ? { verifiedAt: options.verifiedAt } : {},
    };
    this.users.set(`${name}/${name}`, user);
    return user;
  }
  async getUser(key: ObjectKey) {
    const user = this.users.get(`${key.namespace}/${key.name}`);
    return user ? structuredClone(user) : undefined;
  }
  async findUser(key: ObjectKey) {
    return this.getUser(key);
  }
  async recordVerification(key: ObjectKey, options: { resourceVersion: string; verifiedAt: string }) {
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
    const user = this.users.get(`${key.namespace}/${key.name}`);
    if (!user) return 'gone' as const;
    if (user.metadata.resourceVersion !== options.resourceVersion) return 'conflict' as const;
    user.status = { ...user.status, verifiedAt: options.verifiedAt };
    user.metadata.resourceVersion = String(this.#rv++);
    return structuredClone(user);
  }
  async findUsersByEmail(email: string) {
    return [...this.users.values()].filter((u) => u.spec?.email === email);
  }
  async readSecretKey(key: ObjectKey & { field: string }) {
    this.secretReads++;
    return this.secrets.get(`${key.namespace}/${key.name}/${key.field}`);
  }
  async createServiceAccountToken(key: ObjectKey, options: { expirationSeconds: number }) {
    this.tokens.push(key);
    return {
      token: `sa-token-for-${key.name}`,
      expirationTimestamp: new Date(NOW + options.expirationSeconds * 1000).toISOString(),
    };
  }
}

function link(claims: Record<string, string>, options: { key?: Buffer; expiresAt?: number; purpose?: string } = {}) {
  return signToken({
    key: options.key ?? KEY,
    purpose: options.purpose ?? VERIFICATION_TOKEN_PURPOSE,
    claims,
    expiresAt: options.expiresAt ?? NOW + 3_600_000,
  });
}

describe('verification', () => {
  const setup = () => {
    const kube = new MemoryKube();
    kube.addUser('t-a', { email: 'ann@example.com' });
    const flow = new VerificationFlow({ kube, key: { get: async () => KEY }, now: () => NOW });
    return { kube, flow };
  };
  const claims = { namespace: 't-a', name: 't-a', uid: UID };

  it('a use that loses the race to another reads again and is refused as used, never recorded twice', async () => {
    const { kube, flow } = setup();
    const token = link(claims);
    // Another request records the verification between our read and our conditional write.
    kube.beforeWrite = () => {
      const user = kube.users.get('t-a/t-a')!;
      user.status = { verifiedAt: '2026-01-01T11:59:59Z' };
      user.metadata.resourceVersion = '999';
    };
    expect((await refusal(flow.verify(token))).code).toBe('CNPAAS_API_ALREADY_VERIFIED');
    expect(kube.users.get('t-a/t-a')?.status?.verifiedAt).toBe('2026-01-01T11:59:59Z');
  });

  it('refuses an expired link (410), a tampered or foreign-key one (400), and changes nothing', async () => {
    const { kube, flow } = setup();
    expect(await refusal(flow.verify(link(claims, { expiresAt: NOW - 1 })))).toMatchObject({
      code: 'CNPAAS_API_TOKEN_EXPIRED',
      status: 410,
    });
    expect(await refusal(flow.verify(link(claims, { key: randomBytes(32) })))).toMatchObject({
      code: 'CNPAAS_API_TOKEN_INVALID',
      status: 400,
    });
    expect((await refusal(flow.verify(link(claims, { purpose: 'something-else' })))).code).toBe(
      'CNPAAS_API_TOKEN_INVALID',
    );
    const [payload, signature] = link(claims).split('.') as [string, string];
    const other = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        claims: { ...claims, name: 't-b' },
      }),
    ).toString('base64url');
    expect((await refusal(flow.verify(`${other}.${signature}`))).code).toBe('CNPAAS_API_TOKEN_INVALID');
    expect((await refusal(flow.verify('not-a-token'))).code).toBe('CNPAAS_API_TOKEN_INVALID');
    expect(kube.users.get('t-a/t-a')?.status?.verifiedAt).toBeUndefined();
  });
});

describe('sign-in', () => {
  // The floor cost (19 MiB, tens of ms): the same work as a real stored hash.
  const hasher = new PasswordHasher();
  const PASSWORD = 'correct horse battery staple 7!';

  async function setup(options: { verified?: boolean; addressBurst?: number; callerBurst?: number } = {}) {
    const kube = new MemoryKube();
    kube.addUser('t-a', {
      email: 'ann@example.com',
      ...(options.verified === false ? {} : { verifiedAt: '2026-01-01T00:00:00Z' }),
    });
    kube.secrets.set('t-a/t-a-password/hash', Buffer.from(await hasher.hash(PASSWORD)));
    const flow = new LoginFlow({
      kube,
      hasher,
      addressLimiter: new CallerRateLimiter({ perMinute: 1, burst: options.addressBurst ?? 50, now: () => NOW }),
      callerLimiter: new CallerRateLimiter({ perMinute: 1, burst: options.callerBurst ?? 50, now: () => NOW }),
    });
    return { kube, flow };
  }

  it('the right password for a verified address gives a 600 s token for the User’s own ServiceAccount', async () => {
    const { kube, flow } = await setup();
    const result = await flow.login({ caller: 'console', email: ' Ann@Example.com ', password: PASSWORD });
    expect(result).toEqual({
      token: 'sa-token-for-t-a',
      expirationTimestamp: new Date(NOW + 600_000).toISOString(),
      user: { namespace: 't-a', name: 't-a' },
      tenant: 't-a',
    });
    expect(kube.tokens).toEqual([{ namespace: 't-a', name: 't-a' }]);
  });

  it('an unknown address and a wrong password get the same answer, each after one full hash check', async () => {
    const { kube, flow } = await setup();
    const verifyCalls: string[] = [];
    const verify = hasher.verify.bind(hasher);
    hasher.verify = async (password, phc) => {
      verifyCalls.push(phc.split('$')[1]!);
      return verify(password, phc);
    };
    try {
      const wrong = await refusal(flow.login({ caller: 'c', email: 'ann@example.com', password: 'wrong password 1!' }));
      const unknown = await refusal(flow.login({ caller: 'c', email: 'nobody@example.com', password: PASSWORD }));
      expect(wrong).toEqual(unknown);
      expect(wrong).toEqual({ code: 'CNPAAS_API_LOGIN_FAILED', status: 401, message: LOGIN_FAILED_MESSAGE });
      // Both ran argon2id: the unknown address against the dummy hash.
      expect(verifyCalls).toEqual(['argon2id', 'argon2id']);
      expect(kube.tokens).toEqual([]);
    } finally {
      hasher.verify = verify;
    }
  });

  it('similar timing: an unknown address costs about what a wrong password does', async () => {
    const { flow } = await setup();
    const time = async (email: string) => {
      const started = performance.now();
      await flow.login({ caller: 'c', email, password: 'wrong password 1!' }).catch(() => undefined);
      return performance.now() - started;
    };
    await time('nobody@example.com'); // warms up both paths
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time('ann@example.com'));
      unknown.push(await time('nobody@example.com'));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // A skipped hash would be ~0 ms against tens of ms; the bound leaves room for a busy machine.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('the right password before verification is refused with what to do (403), and no token is made', async () => {
    const { kube, flow } = await setup({ verified: false });
    const answer = await refusal(flow.login({ caller: 'c', email: 'ann@example.com', password: PASSWORD }));
    expect(answer).toMatchObject({ code: 'CNPAAS_API_NOT_VERIFIED', status: 403 });
    expect(answer.message).toMatch(/verification link/);
    expect(kube.tokens).toEqual([]);
  });

  it('limits attempts per address and per caller (429), before any lookup', async () => {
    const { kube, flow } = await setup({ addressBurst: 2 });
    for (let i = 0; i < 2; i++)
      await refusal(flow.login({ caller: `c${i}`, email: 'ann@example.com', password: 'wrong password 1!' }));
    const reads = kube.secretReads;
    const limited = await refusal(flow.login({ caller: 'c9', email: 'ANN@example.com', password: PASSWORD }));
    expect(limited).toMatchObject({ code: 'CNPAAS_API_LOGIN_RATE_LIMITED', status: 429 });
    expect(kube.secretReads).toBe(reads);

    const byCaller = await setup({ callerBurst: 1 });
    await refusal(byCaller.flow.login({ caller: 'one', email: 'x@example.com', password: 'p' }));
    expect((await refusal(byCaller.flow.login({ caller: 'one', email: 'y@example.com', password: 'p' }))).code).toBe(
      'CNPAAS_API_LOGIN_RATE_LIMITED',
    );
  });
});

describe('the address in a field selector', () => {
  it('is escaped like fields.EscapeValue, so it cannot add or change terms', () => {
    expect(escapeFieldSelectorValue('ann@example.com')).toBe('ann@example.com');
    expect(escapeFieldSelectorValue('a,metadata.namespace=t-x')).toBe('a\\,metadata.namespace\\=t-x');
    expect(escapeFieldSelectorValue('back\\slash')).toBe('back\\\\slash');
  });
});
