import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionObject } from '@cnpaas/service-kit';
import { EmailClaims, claimNameFor } from './email-claim.js';
import { PasswordHasher, formatPasswordHash, scryptHash } from './password-hash.js';
import { FAST_SCRYPT, MemoryClaimStore, admissionRequest } from './test-support.js';
import { USER_PASSWORD_ANNOTATION, createUserValidator } from './user-validate.js';
import { REGISTRATION_UID_LABEL } from './webshop.js';

const hasher = new PasswordHasher({ scryptFloor: FAST_SCRYPT });
let store: MemoryClaimStore;
let validate: ReturnType<typeof createUserValidator>;

beforeEach(() => {
  store = new MemoryClaimStore();
  validate = createUserValidator({ claims: new EmailClaims({ store }), hasher });
});

function user(
  options: { name?: string; email?: string; registrationUid?: string; annotations?: Record<string, string> } = {},
): AdmissionObject {
  const name = options.name ?? 't-0123456789ab';
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'User',
    metadata: {
      name,
      namespace: name,
      uid: randomUUID(),
      labels: options.registrationUid ? { [REGISTRATION_UID_LABEL]: options.registrationUid } : {},
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: { firstName: 'Ada', lastName: 'Lovelace', email: options.email ?? 'ada@example.com' },
  };
}

const review = (object: AdmissionObject, extra: Parameters<typeof admissionRequest>[1] = {}) =>
  admissionRequest(object, { resource: 'users', ...extra });

/** ada@example.com claimed as a registration does it, by the registration with this UID. */
const claimedByRegistration = (registrationUid: string) =>
  new EmailClaims({ store }).claim({
    email: 'ada@example.com',
    owner: { uid: registrationUid, uidKind: 'registration', claimedBy: 'RegistrationRequest/r-1' },
    dryRun: false,
  });

describe('User validation', () => {
  it('allows the User of the registration that holds the email claim', async () => {
    const registrationUid = randomUUID();
    await claimedByRegistration(registrationUid);
    const response = await validate(review(user({ registrationUid })));
    expect(response.allowed).toBe(true);
    expect(store.claims.size).toBe(1);
  });

  it("checks the User of a registration against its registration's claim with one read, no LIST and no create", async () => {
    const registrationUid = randomUUID();
    await claimedByRegistration(registrationUid);
    const before = { ...store.calls };
    expect((await validate(review(user({ registrationUid })))).allowed).toBe(true);
    expect(store.calls).toEqual({ ...before, read: before.read + 1 });
  });

  it('refuses a User whose email another registration holds (409)', async () => {
    await claimedByRegistration('other');
    const response = await validate(review(user({ registrationUid: randomUUID() })));
    expect(response.status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(response.status?.message).toContain(
      'spec.email: the email address ada@example.com is already being registered',
    );
  });

  it('claims the email for a User made without a registration, and keeps a second one out', async () => {
    expect((await validate(review(user()))).allowed).toBe(true);
    expect(store.claims.get(claimNameFor('ada@example.com'))?.owner.uidKind).toBe('user');
    store.users.push({ namespace: 't-0123456789ab', name: 't-0123456789ab', email: 'ada@example.com' });
    const second = await validate(review(user({ name: 't-ffffffffffff' })));
    expect(second.status?.code).toBe(409);
    expect(second.status?.message).toContain('is already registered');
  });

  it('refuses bad fields, a name too long for <name>-welcome, and a plain password annotation', async () => {
    const object = user({
      name: 'a'.repeat(246),
      email: 'Ada@Example.com',
      annotations: { [USER_PASSWORD_ANNOTATION]: 'Correct-Horse-7' },
    });
    (object['spec'] as Record<string, unknown>)['phoneNumber'] = '555';
    const response = await validate(review(object));
    expect(response.status?.code).toBe(422);
    const message = response.status?.message ?? '';
    expect(message).toContain('metadata.name: must be an RFC 1123 subdomain (at most 245');
    expect(message).toContain('spec.email: must be lower-case without surrounding spaces');
    expect(message).toContain('spec.phoneNumber: must be a phone number in E.164 form');
    expect(message).toContain(
      `metadata.annotations.${USER_PASSWORD_ANNOTATION}: must be a password hash ($argon2id$… or $scrypt$…), never a plain password`,
    );
    expect(message).not.toContain('Correct-Horse-7');
    expect(store.calls.create).toBe(0);
  });

  it('accepts a hashed password annotation', async () => {
    const response = await validate(
      review(user({ annotations: { [USER_PASSWORD_ANNOTATION]: await hasher.hash('Correct-Horse-7') } })),
    );
    expect(response.allowed).toBe(true);
  });

  it('accepts a scrypt password annotation (the format made before argon2id) at or above its floor', async () => {
    const response = await validate(
      review(user({ annotations: { [USER_PASSWORD_ANNOTATION]: await scryptHash('Correct-Horse-7', FAST_SCRYPT) } })),
    );
    expect(response.allowed).toBe(true);
  });

  it('on UPDATE keeps email and registration label fixed but allows other changes', async () => {
    const old = user({ registrationUid: 'r-1' });
    const renamed = structuredClone(old);
    (renamed['spec'] as Record<string, unknown>)['firstName'] = 'Augusta';
    expect((await validate(review(renamed, { operation: 'UPDATE', oldObject: old }))).allowed).toBe(true);

    const moved = structuredClone(old);
    (moved['spec'] as Record<string, unknown>)['email'] = 'eve@example.com';
    moved.metadata!.labels = { [REGISTRATION_UID_LABEL]: 'r-2' };
    const response = await validate(review(moved, { operation: 'UPDATE', oldObject: old }));
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain('spec.email: cannot be changed');
    expect(response.status?.message).toContain(`metadata.labels.${REGISTRATION_UID_LABEL}: cannot be changed`);
    // UPDATEs never claim.
    expect(store.calls.create).toBe(0);
  });

  describe('on UPDATE still checks a new or changed password annotation', () => {
    // Well-formed, but ln=1: two iterations of scrypt's loop, cheap to brute-force.
    const weakHash = async (): Promise<string> =>
      formatPasswordHash({
        algorithm: 'scrypt',
        params: { ln: 1, r: 8, p: 1 },
        salt: Buffer.alloc(16, 1),
        key: Buffer.alloc(32, 2),
      });
    it.each([
      [
        'plain text',
        async () => 'Correct-Horse-7',
        'must be a password hash ($argon2id$… or $scrypt$…), never a plain password',
      ],
      [
        'a garbage hash',
        async () => '$scrypt$ln=15,r=8,p=3$garbage',
        'starts with $scrypt$, which is reserved for password hashes, but is not a well-formed hash',
      ],
      ['a below-floor hash ($scrypt$ln=1,…)', weakHash, 'is a scrypt hash weaker than the required ln=4,r=8,p=1'],
      [
        'a below-floor hash ($argon2id$…m=4096,t=1,…)',
        async () =>
          formatPasswordHash({
            algorithm: 'argon2id',
            params: { m: 4096, t: 1, p: 1 },
            salt: Buffer.alloc(16, 1),
            key: Buffer.alloc(32, 2),
          }),
        'is an argon2id hash weaker than the required m=19456,t=2,p=1',
      ],
      [
        'a garbage argon2id hash',
        async () => '$argon2id$v=19$m=19456,t=2,p=1$garbage',
        'starts with $argon2id$, which is reserved for password hashes, but is not a well-formed hash',
      ],
      ['a bcrypt string', async () => '$2b$10$abcdefghijklmnopqrstuu', 'starts like a password hash'],
    ])('denies %s', async (_label, value, expected) => {
      const old = user({ registrationUid: 'r-1' });
      const changed = structuredClone(old);
      const password = await value();
      changed.metadata!.annotations = { [USER_PASSWORD_ANNOTATION]: password };
      const response = await validate(review(changed, { operation: 'UPDATE', oldObject: old }));
      expect(response.allowed).toBe(false);
      expect(response.status?.code).toBe(422);
      expect(response.status?.message).toContain(`metadata.annotations.${USER_PASSWORD_ANNOTATION}: ${expected}`);
      expect(response.status?.details?.causes).toContainEqual({
        reason: 'FieldValueInvalid',
        field: `metadata.annotations.${USER_PASSWORD_ANNOTATION}`,
        message: expect.stringContaining(expected),
      });
      expect(response.status?.message).not.toContain(password);
    });

    it('allows a new acceptable hash, and an unchanged old value (ratcheting)', async () => {
      const old = user({ registrationUid: 'r-1' });
      const changed = structuredClone(old);
      changed.metadata!.annotations = { [USER_PASSWORD_ANNOTATION]: await hasher.hash('Correct-Horse-7') };
      expect((await validate(review(changed, { operation: 'UPDATE', oldObject: old }))).allowed).toBe(true);

      const stale = user({
        registrationUid: 'r-1',
        annotations: { [USER_PASSWORD_ANNOTATION]: 'stored-before-the-rule' },
      });
      const relabelled = structuredClone(stale);
      relabelled.metadata!.finalizers = ['example.dev/f'];
      expect((await validate(review(relabelled, { operation: 'UPDATE', oldObject: stale }))).allowed).toBe(true);
    });
  });

  it('claims nothing on a dry run', async () => {
    expect((await validate(review(user(), { dryRun: true }))).allowed).toBe(true);
    expect(store.claims.size).toBe(0);
  });
});
