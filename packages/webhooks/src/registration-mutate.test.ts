import { describe, expect, it } from 'vitest';
import { decodePatch } from './admission-review.js';
import { PasswordHasher, parsePasswordHash } from './password-hash.js';
import { createRegistrationMutator, defaultCompanyName } from './registration-mutate.js';
import { FAST_SCRYPT, GOOD_PASSWORD, admissionRequest, applyAdmissionPatch, registrationObject, validRegistrationSpec } from './test-support.js';

type Spec = Record<string, any>;

const hasher = new PasswordHasher({ params: FAST_SCRYPT });
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
    expect(ops.map((op) => `${op.op} ${op.path}`)).toEqual(['replace /spec/user/email', 'add /spec/tenant/companyName', 'replace /spec/password']);
    // No op carries the plain password (no `test` op, no old value).
    expect(Buffer.from(response.patch!, 'base64').toString()).not.toContain(GOOD_PASSWORD);

    const result = applyAdmissionPatch(object, response)['spec'] as Spec;
    expect(result.user.email).toBe('ada.lovelace@example.com');
    expect(result.tenant.companyName).toBe('Ada Lovelace');
    expect(result.password).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
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

  it('sends no patch when nothing changes (already hashed, normalised, company set)', async () => {
    const spec = validRegistrationSpec() as Spec;
    spec.password = await hasher.hash(GOOD_PASSWORD);
    spec.tenant.companyName = 'Ada Lovelace';
    const response = await mutate(admissionRequest(registrationObject(spec)));
    expect(response.allowed).toBe(true);
    expect(response.patch).toBeUndefined();
    expect(response.patchType).toBeUndefined();
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
    const response = await createRegistrationMutator({ hasher: new PasswordHasher() })(admissionRequest(registrationObject(validRegistrationSpec())));
    const password = decodePatch(response).find((op) => op.path === '/spec/password');
    expect(password && 'value' in password ? password.value : '').toMatch(/^\$scrypt\$ln=15,r=8,p=3\$/);
  });
});
