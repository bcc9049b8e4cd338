import { readFileSync } from 'node:fs';
import { crdManifests } from '@cnpaas/webshop-api';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decodePatch } from '@cnpaas/service-kit';
import { dryRunPasswordPlaceholder, isDryRunPasswordPlaceholder } from './dry-run-password.js';
import { PasswordHasher, formatPasswordHash, parsePasswordHash, scryptHash } from './password-hash.js';
import { createRegistrationMutator, defaultCompanyName } from './registration-mutate.js';
import {
  FAST_SCRYPT,
  GOOD_PASSWORD,
  admissionRequest,
  applyAdmissionPatch,
  registrationObject,
  validRegistrationSpec,
} from './test-support.js';

type Spec = Record<string, any>;

const hasher = new PasswordHasher({ scryptFloor: FAST_SCRYPT });
const mutate = createRegistrationMutator({ hasher });

describe('registration mutation', () => {
  it('answers a JSON patch that applies and yields hash, normalised email and default company', async () => {
    const spec = validRegistrationSpec({ email: '  Ada.Lovelace@EXAMPLE.com\t' }) as Spec;
    const object = registrationObject(spec);
    const request = admissionRequest(object);
    const response = await mutate(request);

    expect(response.uid).toBe(request.uid);
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    const ops = decodePatch(response);
    expect(ops.map((op) => `${op.op} ${op.path}`)).toEqual([
      'replace /spec/user/email',
      'add /spec/tenant/companyName',
      'replace /spec/password',
    ]);
    // No op carries the plain password (no `test` op, no old value).
    expect(Buffer.from(response.patch!, 'base64').toString()).not.toContain(GOOD_PASSWORD);

    const result = applyAdmissionPatch(object, response)['spec'] as Spec;
    expect(result.user.email).toBe('ada.lovelace@example.com');
    expect(result.tenant.companyName).toBe('Ada Lovelace');
    expect(result.password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(parsePasswordHash(result.password)).toBeDefined();
    expect(await hasher.verify(GOOD_PASSWORD, result.password)).toBe(true);
    // Everything else is untouched.
    expect(result.tenant.city).toBe('London');
    expect(result.user.phoneNumber).toBe('+442079460000');
  });

  it('is idempotent under reinvocation: the second call patches nothing', async () => {
    const object = registrationObject(validRegistrationSpec({ email: 'ADA@example.com' }));
    const first = applyAdmissionPatch(object, await mutate(admissionRequest(object)));
    const second = await mutate(admissionRequest(first));
    expect(second).toEqual({ uid: expect.any(String), allowed: true });
    expect(second.patch).toBeUndefined();
  });

  it('keeps a given company name and replaces a blank one', async () => {
    const given = validRegistrationSpec() as Spec;
    given.tenant.companyName = 'Analytical Engines Ltd';
    const keep = decodePatch(await mutate(admissionRequest(registrationObject(given))));
    expect(keep.find((op) => op.path === '/spec/tenant/companyName')).toBeUndefined();

    const blank = validRegistrationSpec() as Spec;
    blank.tenant.companyName = '   ';
    const object = registrationObject(blank);
    const patched = applyAdmissionPatch(object, await mutate(admissionRequest(object)));
    expect((patched['spec'] as Spec).tenant.companyName).toBe('Ada Lovelace');
  });

  it('cuts the default company name to the 250-character limit', () => {
    expect(defaultCompanyName(' Ada ', ' Lovelace ')).toBe('Ada Lovelace');
    const long = defaultCompanyName('A'.repeat(125), 'B'.repeat(125));
    expect([...long]).toHaveLength(250);
  });

  it('sends no patch on reinvocation when nothing else changed (its own hash, normalised, company set)', async () => {
    const spec = validRegistrationSpec() as Spec;
    spec.tenant.companyName = 'Ada Lovelace';
    const object = registrationObject(spec);
    const first = applyAdmissionPatch(object, await mutate(admissionRequest(object)));
    const response = await mutate(admissionRequest(first));
    expect(response.allowed).toBe(true);
    expect(response.patch).toBeUndefined();
    expect(response.patchType).toBeUndefined();
  });

  describe('refuses a hash sent as the password: the policy could not be checked', () => {
    const cases: Array<[string, () => Promise<string>, string]> = [
      // A strong, well-formed hash of a password that breaks every rule.
      [
        'a well-formed argon2id hash at the required cost',
        () => hasher.hash('a'),
        'spec.password: is a password hash; a registration carries the plain password',
      ],
      [
        'an argon2id hash another process issued',
        () => new PasswordHasher({ argon2id: { m: 19456, t: 3, p: 1 } }).hash(GOOD_PASSWORD),
        'spec.password: is a password hash',
      ],
      [
        'a scrypt hash (the format made before argon2id)',
        () => scryptHash(GOOD_PASSWORD, FAST_SCRYPT),
        'spec.password: is a password hash',
      ],
      [
        'a weak scrypt hash',
        async () =>
          formatPasswordHash({
            algorithm: 'scrypt',
            params: { ln: 1, r: 8, p: 1 },
            salt: Buffer.alloc(16, 1),
            key: Buffer.alloc(32, 2),
          }),
        'spec.password: is a scrypt hash weaker than the required',
      ],
      [
        'a malformed argon2id string',
        async () => '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaA',
        'spec.password: starts with $argon2id$, which is reserved for password hashes, but is not a well-formed hash',
      ],
      [
        'an argon2i string',
        async () => '$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaA',
        'spec.password: starts with $argon2',
      ],
      [
        'a bcrypt string',
        async () => '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
        'spec.password: starts like a password hash',
      ],
      [
        'a pbkdf2 PHC string',
        async () => '$pbkdf2-sha256$i=600000$c2FsdA$aGFzaA',
        'spec.password: starts like a password hash',
      ],
    ];
    it.each(cases)('%s', async (_label, value, expected) => {
      const spec = validRegistrationSpec() as Spec;
      spec.password = await value();
      const response = await mutate(admissionRequest(registrationObject(spec)));
      expect(response.allowed).toBe(false);
      expect(response.status).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(response.status?.message).toContain(expected);
      expect(response.status?.message).toContain("sent over the API's TLS connection");
      expect(response.status?.message).not.toContain(spec.password);
      expect(response.patch).toBeUndefined();
    });
  });

  describe('dry runs', () => {
    /** Counts hashes, so a test can prove none was computed. */
    class CountingHasher extends PasswordHasher {
      hashes = 0;
      override async hash(password: string): Promise<string> {
        this.hashes += 1;
        return super.hash(password);
      }
    }

    it('check the policy but compute no hash: the password becomes a placeholder that is no usable hash', async () => {
      const counting = new CountingHasher({ scryptFloor: FAST_SCRYPT });
      const dryMutate = createRegistrationMutator({ hasher: counting });
      const object = registrationObject(validRegistrationSpec());
      const response = await dryMutate(admissionRequest(object, { dryRun: true }));
      expect(response.allowed).toBe(true);
      expect(counting.hashes).toBe(0);
      const password = (applyAdmissionPatch(object, response)['spec'] as Spec).password as string;
      expect(isDryRunPasswordPlaceholder(password)).toBe(true);
      expect(parsePasswordHash(password)).toBeUndefined();
      expect(counting.classify(password).kind).toBe('malformed');
      expect(Buffer.from(response.patch!, 'base64').toString()).not.toContain(GOOD_PASSWORD);

      const weak = validRegistrationSpec() as Spec;
      weak.password = 'short';
      const denied = await dryMutate(admissionRequest(registrationObject(weak), { dryRun: true }));
      expect(denied.status?.message).toContain('spec.password: must be at least 8 characters long');
      expect(counting.hashes).toBe(0);
    });

    it("the placeholder passes the CRD's own password rules (prefix CEL rule, lengths), so the dry run is not refused there", () => {
      const crd = parse(
        readFileSync(
          crdManifests().find((f) => f.endsWith('registrationrequests.yaml'))!,
          'utf8',
        ),
      ) as Spec;
      const schema = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.password;
      expect(schema['x-kubernetes-validations'][0].rule).toBe(
        "self.startsWith('$argon2id$') || self.startsWith('$scrypt$')",
      );
      const placeholder = dryRunPasswordPlaceholder();
      expect(placeholder.startsWith('$argon2id$') || placeholder.startsWith('$scrypt$')).toBe(true);
      expect(placeholder.length).toBeGreaterThanOrEqual(schema.minLength);
      expect(placeholder.length).toBeLessThanOrEqual(schema.maxLength);
    });

    it('a placeholder is accepted on dry-run reinvocation only, never on a real request', async () => {
      const object = registrationObject(validRegistrationSpec());
      const dry = applyAdmissionPatch(object, await mutate(admissionRequest(object, { dryRun: true })));
      expect(await mutate(admissionRequest(dry, { dryRun: true }))).toEqual({ uid: expect.any(String), allowed: true });
      // The same placeholder sent for real (say, copied from a dry run's answer) is refused.
      const real = await mutate(admissionRequest(dry));
      expect(real.status?.code).toBe(422);
      expect(real.status?.message).toContain(
        'spec.password: starts with $scrypt$, which is reserved for password hashes, but is not a well-formed hash',
      );
      // And one this process never issued is refused even on a dry run.
      const forged = structuredClone(object);
      (forged['spec'] as Spec).password = dryRunPasswordPlaceholder();
      expect((await mutate(admissionRequest(forged, { dryRun: true }))).status?.code).toBe(422);
    });
  });

  it('denies a weak password with every missing rule, and does not hash', async () => {
    const spec = validRegistrationSpec() as Spec;
    spec.password = 'short';
    const response = await mutate(admissionRequest(registrationObject(spec)));
    expect(response.allowed).toBe(false);
    expect(response.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(response.status?.message).toContain('spec.password: must be at least 8 characters long (it has 5)');
    expect(response.status?.message).toContain('spec.password: must contain an upper-case letter');
    expect(response.status?.message).not.toContain('lower-case');
    expect(response.patch).toBeUndefined();
  });

  it('passes UPDATE through untouched', async () => {
    const object = registrationObject(validRegistrationSpec());
    const response = await mutate(admissionRequest(object, { operation: 'UPDATE', oldObject: object }));
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('answers 400 when the review has no object', async () => {
    const response = await mutate(admissionRequest(null));
    expect(response.status).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('hashes with the production cost by default', async () => {
    const response = await createRegistrationMutator({ hasher: new PasswordHasher() })(
      admissionRequest(registrationObject(validRegistrationSpec())),
    );
    const password = decodePatch(response).find((op) => op.path === '/spec/password');
    expect(password && 'value' in password ? password.value : '').toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
  });
});
