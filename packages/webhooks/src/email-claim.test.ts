import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EmailClaims,
  claimFromConfigMap,
  claimNameFor,
  claimToConfigMap,
  emailSha256,
  type ClaimOutcome,
  type ClaimOwner,
  type EmailClaim,
} from './email-claim.js';
import { WebhooksError } from './errors.js';
import { MemoryClaimStore, registrationWebhooks, validRegistrationSpec } from './test-support.js';
import { REGISTRATION_UID_LABEL } from './webshop.js';

const registration = (uid = randomUUID()): ClaimOwner => ({
  uid,
  uidKind: 'registration',
  claimedBy: `RegistrationRequest/r-${uid.slice(0, 6)}`,
});

describe('email claims', () => {
  it('names a claim by a sha256 prefix of the normalised email: a valid ConfigMap name and label value', () => {
    const name = claimNameFor('ada@example.com');
    expect(name).toBe(`email-claim-${emailSha256('ada@example.com').slice(0, 32)}`);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('of 20 concurrent claims for one email, exactly one wins', async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false }),
      ),
    );
    const won = outcomes.filter((o) => o.outcome === 'claimed');
    const lost = outcomes.filter((o) => o.outcome === 'taken');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    expect(lost.every((o) => o.outcome === 'taken' && o.by === 'claim')).toBe(true);
    // They really overlapped: every request got past the user check before the first claim existed.
    expect(store.calls.list).toBe(20);
    expect(store.calls.create).toBe(20);
    expect(store.claims.size).toBe(1);
  });

  it('through both webhooks, 20 concurrent registrations with one email: 1 allowed, 19 denied with 409', async () => {
    const { admit } = registrationWebhooks();
    const responses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        // The same address in different spellings: uniqueness is case-insensitive.
        const { response } = await admit(
          validRegistrationSpec({ email: i % 2 ? 'ADA@example.com' : ' ada@EXAMPLE.com' }),
        );
        return response;
      }),
    );
    expect(responses.filter((r) => r.allowed)).toHaveLength(1);
    const denied = responses.filter((r) => !r.allowed);
    expect(denied).toHaveLength(19);
    for (const r of denied) {
      expect(r.status).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(r.status?.message).toContain('ada@example.com is already being registered by another registration');
    }
  });

  it('lets the same owner ask again (an apiserver retry), without a second claim', async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    const owner = registration();
    expect((await claims.claim({ email: 'ada@example.com', owner, dryRun: false })).outcome).toBe('claimed');
    expect((await claims.claim({ email: 'ada@example.com', owner, dryRun: false })).outcome).toBe('already-ours');
    expect(store.claims.size).toBe(1);
  });

  it("lets a registration's own User through (same registration UID, label on the User)", async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    const uid = randomUUID();
    await claims.claim({ email: 'ada@example.com', owner: registration(uid), dryRun: false });
    const user = { uid, uidKind: 'registration' as const, claimedBy: 'User/t-1/t-1' };
    expect((await claims.claim({ email: 'ada@example.com', owner: user, dryRun: false })).outcome).toBe('already-ours');
  });

  it("answers a registration's User that expects to hold the claim with one read, and takes the full path otherwise", async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    const uid = randomUUID();
    await claims.claim({ email: 'ada@example.com', owner: registration(uid), dryRun: false });
    const before = { ...store.calls };
    const user = { uid, uidKind: 'registration' as const, claimedBy: 'User/t-1/t-1' };
    const self = { namespace: 't-1', name: 't-1' };
    expect(
      await claims.claim({ email: 'ada@example.com', owner: user, dryRun: false, self, likelyHeld: true }),
    ).toEqual({ outcome: 'already-ours', claimName: claimNameFor('ada@example.com') });
    expect(store.calls).toEqual({ ...before, read: before.read + 1 });
    // Held by another registration: the LIST and the create still run, and the answer is the full path's.
    const other = { uid: randomUUID(), uidKind: 'registration' as const, claimedBy: 'User/t-2/t-2' };
    const taken = await claims.claim({
      email: 'ada@example.com',
      owner: other,
      dryRun: false,
      self: { namespace: 't-2', name: 't-2' },
      likelyHeld: true,
    });
    expect(taken).toMatchObject({ outcome: 'taken', by: 'claim' });
    expect(store.calls.list).toBe(before.list + 1);
    // Not held at all (released, or never taken): the full path claims it, after the LIST.
    const fresh = { uid: randomUUID(), uidKind: 'registration' as const, claimedBy: 'User/t-3/t-3' };
    const claimed = await claims.claim({ email: 'bea@example.com', owner: fresh, dryRun: false, likelyHeld: true });
    expect(claimed.outcome).toBe('claimed');
    expect(store.calls.list).toBe(before.list + 2);
  });

  it('writes nothing on a dry run, and still reports a claim held by someone else', async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    expect((await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: true })).outcome).toBe(
      'dry-run',
    );
    expect(store.calls.create).toBe(0);
    expect(store.claims.size).toBe(0);
    await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false });
    const taken = await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: true });
    expect(taken).toMatchObject({ outcome: 'taken', by: 'claim' });
  });

  it('finds an existing User with a consistent list and claims nothing then', async () => {
    const store = new MemoryClaimStore();
    store.users.push({ namespace: 't-aaaaaaaaaaaa', name: 't-aaaaaaaaaaaa', email: 'ada@example.com' });
    const claims = new EmailClaims({ store });
    const outcome = await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false });
    expect(outcome).toEqual({
      outcome: 'taken',
      by: 'user',
      holder: 'User/t-aaaaaaaaaaaa/t-aaaaaaaaaaaa',
      claimName: claimNameFor('ada@example.com'),
    });
    expect(store.calls.create).toBe(0);
  });

  it("does not count the User under review, nor its registration's User, as a duplicate", async () => {
    const store = new MemoryClaimStore();
    const uid = randomUUID();
    store.users.push({ namespace: 't-1', name: 't-1', email: 'ada@example.com', registrationUid: uid });
    const claims = new EmailClaims({ store });
    expect((await claims.claim({ email: 'ada@example.com', owner: registration(uid), dryRun: false })).outcome).toBe(
      'claimed',
    );
    const lone = { uid: randomUUID(), uidKind: 'user' as const, claimedBy: 'User/t-1/t-1' };
    const store2 = new MemoryClaimStore();
    store2.users.push({ namespace: 't-1', name: 't-1', email: 'ada@example.com' });
    expect(
      (
        await new EmailClaims({ store: store2 }).claim({
          email: 'ada@example.com',
          owner: lone,
          dryRun: false,
          self: { namespace: 't-1', name: 't-1' },
        })
      ).outcome,
    ).toBe('claimed');
  });

  it('takes a claim that was released between its create and its read', async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false });
    // The operator releases the stale claim right after our create failed on it.
    store.afterExists = (name) => {
      store.claims.delete(name);
      store.afterExists = undefined;
    };
    const owner = registration();
    expect((await claims.claim({ email: 'ada@example.com', owner, dryRun: false })).outcome).toBe('claimed');
    expect(store.claims.get(claimNameFor('ada@example.com'))?.owner.uid).toBe(owner.uid);
  });

  it('gives up with an error when the claim keeps vanishing', async () => {
    const store = new MemoryClaimStore();
    const claims = new EmailClaims({ store });
    await claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false });
    const reinsert = store.claims.get(claimNameFor('ada@example.com'))!;
    // Released after each of our failed creates, and re-created by someone else before the next one.
    store.afterExists = (name) => store.claims.delete(name);
    store.beforeCreate = (name) => store.claims.set(name, reinsert);
    await expect(
      claims.claim({ email: 'ada@example.com', owner: registration(), dryRun: false }),
    ).rejects.toMatchObject({ code: 'CNPAAS_WEBHOOKS_CLAIM_STORE' });
  });

  it('reports a hash-prefix collision as a fault, never as a duplicate', async () => {
    const store = new MemoryClaimStore();
    const name = claimNameFor('ada@example.com');
    store.claims.set(name, { name, emailSha256: 'f'.repeat(64), owner: registration(), claimedAt: '' });
    await expect(
      new EmailClaims({ store }).claim({ email: 'ada@example.com', owner: registration(), dryRun: false }),
    ).rejects.toThrow(/collision/);
  });

  it('wraps store failures in CNPAAS_WEBHOOKS_CLAIM_STORE with a hint', async () => {
    const store = new MemoryClaimStore();
    store.failWith = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    const error = await new EmailClaims({ store })
      .claim({ email: 'ada@example.com', owner: registration(), dryRun: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).message).toBe('list users by email failed: connect ECONNREFUSED 127.0.0.1:6443');
    expect((error as WebhooksError).hint).toContain('RBAC');
  });

  it('reports every outcome for metrics', async () => {
    const seen: ClaimOutcome['outcome'][] = [];
    const claims = new EmailClaims({ store: new MemoryClaimStore(), onOutcome: (o) => seen.push(o) });
    const owner = registration();
    await claims.claim({ email: 'a@example.com', owner, dryRun: false });
    await claims.claim({ email: 'a@example.com', owner, dryRun: false });
    await claims.claim({ email: 'a@example.com', owner: registration(), dryRun: false });
    await claims.claim({ email: 'b@example.com', owner, dryRun: true });
    expect(seen).toEqual(['claimed', 'already-ours', 'taken', 'dry-run']);
  });
});

describe('claim ConfigMaps', () => {
  const claim = (email: string, uid: string): EmailClaim => ({
    name: claimNameFor(email),
    emailSha256: emailSha256(email),
    owner: { uid, uidKind: 'registration', claimedBy: 'RegistrationRequest/r-1' },
    claimedAt: '2026-01-01T00:00:00.000Z',
  });

  it('round-trip: labels name the owner, the data holds the digest but not the address', () => {
    const c = claim('ada@example.com', 'uid-1');
    const cm = claimToConfigMap(c);
    expect(cm.metadata).toMatchObject({
      name: c.name,
      namespace: 'cnpaas-system',
      labels: { 'webshop.cnpaas.dev/email-claim': 'true', [REGISTRATION_UID_LABEL]: 'uid-1' },
      annotations: { 'webshop.cnpaas.dev/claimed-by': 'RegistrationRequest/r-1' },
    });
    expect(cm.immutable).toBe(true);
    expect(JSON.stringify(cm)).not.toContain('ada@example.com');
    expect(claimFromConfigMap(cm)).toEqual(c);
    const lone = claimToConfigMap({ ...c, owner: { uid: 'u-2', uidKind: 'user', claimedBy: 'User/a/b' } });
    expect(lone.metadata?.labels).toMatchObject({ 'webshop.cnpaas.dev/user-uid': 'u-2' });
  });

  it('refuses to read a ConfigMap that is not a claim', () => {
    expect(() => claimFromConfigMap({ metadata: { name: 'email-claim-x' }, data: {} })).toThrow(WebhooksError);
  });
});
