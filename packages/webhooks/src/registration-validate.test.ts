import { beforeEach, describe, expect, it } from 'vitest';
import { dryRunPasswordPlaceholder } from './dry-run-password.js';
import { claimNameFor, emailSha256 } from './email-claim.js';
import { formatPasswordHash } from './password-hash.js';
import {
  FAST_SCRYPT,
  GOOD_PASSWORD,
  admissionRequest,
  applyAdmissionPatch,
  registrationObject,
  registrationWebhooks,
  validRegistrationSpec,
  type MemoryClaimStore,
  type RegistrationWebhooks,
} from './test-support.js';

type Spec = Record<string, any>;

let store: MemoryClaimStore;
let hasher: RegistrationWebhooks['hasher'];
let mutate: RegistrationWebhooks['mutate'];
let validate: RegistrationWebhooks['validate'];
let admit: RegistrationWebhooks['admit'];

beforeEach(() => {
  ({ store, hasher, mutate, validate, admit } = registrationWebhooks());
});

function spec(change: (s: Spec) => void): Spec {
  const s = validRegistrationSpec() as Spec;
  change(s);
  return s;
}

interface BadCase {
  name: string;
  spec: unknown;
  /** Set up the store first (duplicates). */
  given?: (store: MemoryClaimStore) => void;
  code: 422 | 409;
  /** Every fragment must appear in the message; the first word of each is the field path. */
  expect: string[];
}

const existingClaim = (store: MemoryClaimStore, email: string): void => {
  store.claims.set(claimNameFor(email), {
    name: claimNameFor(email),
    emailSha256: emailSha256(email),
    owner: { uid: 'someone-elses-registration', uidKind: 'registration', claimedBy: 'RegistrationRequest/r-other' },
    claimedAt: new Date().toISOString(),
  });
};

const BAD: BadCase[] = [
  // Weak passwords, one rule at a time.
  {
    name: 'password too short',
    spec: spec((s) => (s.password = 'Ab1!xy')),
    code: 422,
    expect: ['spec.password: must be at least 8 characters long (it has 6)'],
  },
  {
    name: 'password too long',
    spec: spec((s) => (s.password = 'Aa1!' + 'x'.repeat(61))),
    code: 422,
    expect: ['spec.password: must be at most 64 characters long (it has 65)'],
  },
  {
    name: 'password without upper-case',
    spec: spec((s) => (s.password = 'correct-horse-7')),
    code: 422,
    expect: ['spec.password: must contain an upper-case letter'],
  },
  {
    name: 'password without lower-case',
    spec: spec((s) => (s.password = 'CORRECT-HORSE-7')),
    code: 422,
    expect: ['spec.password: must contain a lower-case letter'],
  },
  {
    name: 'password without digit',
    spec: spec((s) => (s.password = 'Correct-Horse-x')),
    code: 422,
    expect: ['spec.password: must contain a digit'],
  },
  {
    name: 'password without special character',
    spec: spec((s) => (s.password = 'CorrectHorse7')),
    code: 422,
    expect: ['spec.password: must contain a special character'],
  },
  {
    name: 'password breaking four rules names all four',
    spec: spec((s) => (s.password = 'abc')),
    code: 422,
    expect: [
      'spec.password: must be at least 8 characters long (it has 3)',
      'spec.password: must contain an upper-case letter',
      'spec.password: must contain a digit',
      'spec.password: must contain a special character',
    ],
  },
  {
    name: 'password with a line break',
    spec: spec((s) => (s.password = 'Correct\nHorse7')),
    code: 422,
    expect: ['spec.password: must not contain control characters'],
  },
  {
    name: 'plaintext posing as a hash',
    spec: spec((s) => (s.password = '$scrypt$ln=15,r=8,p=3$not-a-hash')),
    code: 422,
    expect: [
      'spec.password: starts with $scrypt$, which is reserved for password hashes, but is not a well-formed hash',
    ],
  },
  {
    name: 'pre-computed hash weaker than required',
    spec: spec(
      (s) =>
        (s.password = formatPasswordHash({
          algorithm: 'scrypt',
          params: { ln: 1, r: 1, p: 1 },
          salt: Buffer.alloc(16, 1),
          key: Buffer.alloc(32, 2),
        })),
    ),
    code: 422,
    expect: ['spec.password: is a scrypt hash weaker than the required ln=4,r=8,p=1'],
  },
  {
    name: 'pre-computed hash at the required cost (its password never met the policy)',
    spec: spec(
      (s) =>
        (s.password = formatPasswordHash({
          algorithm: 'scrypt',
          params: FAST_SCRYPT,
          salt: Buffer.alloc(16, 1),
          key: Buffer.alloc(32, 2),
        })),
    ),
    code: 422,
    expect: [
      "spec.password: is a password hash; a registration carries the plain password, sent over the API's TLS connection",
    ],
  },
  {
    name: 'argon2 hash',
    spec: spec((s) => (s.password = '$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHQ$aGFzaA')),
    code: 422,
    expect: ['spec.password: starts with $argon2'],
  },
  // Emails.
  {
    name: 'email without @',
    spec: spec((s) => (s.user.email = 'ada.example.com')),
    code: 422,
    expect: ['spec.user.email: must be an email address like name@example.com'],
  },
  {
    name: 'email without top-level domain',
    spec: spec((s) => (s.user.email = 'ada@example')),
    code: 422,
    expect: ['spec.user.email: must be an email address like name@example.com'],
  },
  {
    name: 'email with two dots in a row',
    spec: spec((s) => (s.user.email = 'ada..l@example.com')),
    code: 422,
    expect: ['spec.user.email: must not start or end the part before the @ with a dot, nor have two dots in a row'],
  },
  {
    name: 'email domain label starting with a hyphen',
    spec: spec((s) => (s.user.email = 'ada@-example.com')),
    code: 422,
    expect: ['spec.user.email: must have a domain of dot-separated labels'],
  },
  {
    name: 'email too short',
    spec: spec((s) => (s.user.email = 'a@b')),
    code: 422,
    expect: ['spec.user.email: must be at least 5 characters long (it has 3)'],
  },
  {
    name: 'email too long',
    spec: spec((s) => (s.user.email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com`)),
    code: 422,
    expect: ['spec.user.email: must be at most 256 characters long (it has 257)'],
  },
  {
    name: 'email local part over 64',
    spec: spec((s) => (s.user.email = `${'a'.repeat(65)}@example.com`)),
    code: 422,
    expect: ['spec.user.email: must have at most 64 characters before the @ (it has 65)'],
  },
  // Person names.
  {
    name: 'first name with a digit',
    spec: spec((s) => (s.user.firstName = 'Ada2')),
    code: 422,
    expect: [
      'spec.user.firstName: must start with a letter and contain only letters, accents, spaces, apostrophes and hyphens',
    ],
  },
  {
    name: 'first name starting with a hyphen',
    spec: spec((s) => (s.user.firstName = '-Ada')),
    code: 422,
    expect: ['spec.user.firstName: must start with a letter'],
  },
  {
    name: 'empty last name',
    spec: spec((s) => (s.user.lastName = '')),
    code: 422,
    expect: ['spec.user.lastName: must not be empty'],
  },
  {
    name: 'first name too long',
    spec: spec((s) => (s.user.firstName = 'A'.repeat(126))),
    code: 422,
    expect: ['spec.user.firstName: must be at most 125 characters long (it has 126)'],
  },
  {
    name: 'last name with a line break',
    spec: spec((s) => (s.user.lastName = 'Love\nlace')),
    code: 422,
    expect: ['spec.user.lastName: must not contain control characters'],
  },
  {
    name: 'first name not a string',
    spec: spec((s) => (s.user.firstName = 42)),
    code: 422,
    expect: ['spec.user.firstName: must be a string'],
  },
  // Phone numbers.
  {
    name: 'phone starting with 0',
    spec: spec((s) => (s.user.phoneNumber = '02079460000')),
    code: 422,
    expect: ['spec.user.phoneNumber: must be a phone number in E.164 form'],
  },
  {
    name: 'phone with spaces',
    spec: spec((s) => (s.user.phoneNumber = '+44 20 7946 0000')),
    code: 422,
    expect: ['spec.user.phoneNumber: must be a phone number in E.164 form'],
  },
  {
    name: 'phone too short',
    spec: spec((s) => (s.user.phoneNumber = '+123456')),
    code: 422,
    expect: ['spec.user.phoneNumber: must be a phone number in E.164 form: an optional +, then 7 to 15 digits'],
  },
  // Missing fields.
  { name: 'no spec', spec: undefined, code: 422, expect: ['spec: is required'] },
  { name: 'no user', spec: spec((s) => delete s.user), code: 422, expect: ['spec.user: is required'] },
  { name: 'no password', spec: spec((s) => delete s.password), code: 422, expect: ['spec.password: is required'] },
  { name: 'no tenant', spec: spec((s) => delete s.tenant), code: 422, expect: ['spec.tenant: is required'] },
  { name: 'no email', spec: spec((s) => delete s.user.email), code: 422, expect: ['spec.user.email: is required'] },
  {
    name: 'no country, no city',
    spec: spec((s) => {
      delete s.tenant.country;
      delete s.tenant.city;
    }),
    code: 422,
    expect: ['spec.tenant.country: is required', 'spec.tenant.city: is required'],
  },
  {
    name: 'city only spaces',
    spec: spec((s) => (s.tenant.city = '   ')),
    code: 422,
    expect: ['spec.tenant.city: must not be only spaces'],
  },
  // Oversized and malformed tenant fields.
  {
    name: 'country code too long',
    spec: spec((s) => (s.tenant.country = 'GBRX')),
    code: 422,
    expect: ['spec.tenant.country: must be at most 3 characters long (it has 4)'],
  },
  {
    name: 'country code with digits',
    spec: spec((s) => (s.tenant.country = '12')),
    code: 422,
    expect: ['spec.tenant.country: must be a country code of letters only'],
  },
  {
    name: 'city too long',
    spec: spec((s) => (s.tenant.city = 'x'.repeat(51))),
    code: 422,
    expect: ['spec.tenant.city: must be at most 50 characters long (it has 51)'],
  },
  {
    name: 'address too long',
    spec: spec((s) => (s.tenant.address = 'x'.repeat(513))),
    code: 422,
    expect: ['spec.tenant.address: must be at most 512 characters long (it has 513)'],
  },
  {
    name: 'postal code too long',
    spec: spec((s) => (s.tenant.postalCode = '9'.repeat(31))),
    code: 422,
    expect: ['spec.tenant.postalCode: must be at most 30 characters long (it has 31)'],
  },
  {
    name: 'tax number too long',
    spec: spec((s) => (s.tenant.taxNumber = 'T'.repeat(257))),
    code: 422,
    expect: ['spec.tenant.taxNumber: must be at most 256 characters long (it has 257)'],
  },
  {
    name: 'company name too long',
    spec: spec((s) => (s.tenant.companyName = 'C'.repeat(251))),
    code: 422,
    expect: ['spec.tenant.companyName: must be at most 250 characters long (it has 251)'],
  },
  // Every problem at once.
  {
    name: 'weak password, bad email and missing city together',
    spec: spec((s) => {
      s.password = 'letmeinplease';
      s.user.email = 'nope@nowhere';
      delete s.tenant.city;
    }),
    code: 422,
    expect: [
      '(5 problems)',
      'spec.user.email: must be an email address',
      'spec.password: must contain an upper-case letter',
      'spec.password: must contain a digit',
      'spec.password: must contain a special character',
      'spec.tenant.city: is required',
    ],
  },
  // Duplicates.
  {
    name: 'email of an existing user, in other case and with spaces',
    spec: spec((s) => (s.user.email = '  ADA@Example.COM ')),
    given: (store) =>
      store.users.push({
        namespace: 't-0123456789ab',
        name: 't-0123456789ab',
        email: 'ada@example.com',
        registrationUid: 'old-registration',
      }),
    code: 409,
    expect: ['spec.user.email: the email address ada@example.com is already registered'],
  },
  {
    name: 'email claimed by another registration in flight',
    spec: spec((s) => (s.user.email = 'Ada@Example.com')),
    given: (store) => existingClaim(store, 'ada@example.com'),
    code: 409,
    expect: ['spec.user.email: the email address ada@example.com is already being registered by another registration'],
  },
];

describe('bad registrations', () => {
  it('has a table of at least 20 cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BAD)('$name → $code', async (c) => {
    c.given?.(store);
    const { response } = await admit(c.spec);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(c.code);
    expect(response.status?.reason).toBe(c.code === 422 ? 'Invalid' : 'Conflict');
    for (const fragment of c.expect) expect(response.status?.message).toContain(fragment);
    // Each problem is also a cause naming its field.
    const causes = response.status?.details?.causes?.map((cause) => cause.field) ?? [];
    for (const fragment of c.expect.filter((f) => f.startsWith('spec')))
      expect(causes).toContain(fragment.slice(0, fragment.indexOf(':')));
    // Nothing is claimed for a refused registration.
    if (c.code === 422) expect(store.calls.create).toBe(0);
    // A denial never quotes the password.
    const password = (c.spec as Spec | undefined)?.['password'];
    if (typeof password === 'string' && password.length > 3) expect(JSON.stringify(response)).not.toContain(password);
  });
});

describe('good registrations', () => {
  it('stores a hash, a normalised email and a default company, and claims the email', async () => {
    const { response, stored } = await admit(spec((s) => (s.user.email = ' Ada.Lovelace@Example.COM ')));
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
    const s = stored!['spec'] as Spec;
    expect(s.user.email).toBe('ada.lovelace@example.com');
    expect(s.tenant.companyName).toBe('Ada Lovelace');
    expect(await hasher.verify(GOOD_PASSWORD, s.password)).toBe(true);
    expect([...store.claims.keys()]).toEqual([claimNameFor('ada.lovelace@example.com')]);
  });

  it('accepts letters of any script and names with apostrophes, hyphens and accents', async () => {
    const { response } = await admit(
      spec((s) => {
        s.user.firstName = 'Zoë-Ångström';
        s.user.lastName = "O'Connor de la Tour";
        s.password = 'Ünïcødé-Pässwört-٣';
      }),
    );
    expect(response.allowed).toBe(true);
  });

  it('treats the same registration asking again as allowed (idempotent claim)', async () => {
    const object = registrationObject(validRegistrationSpec());
    const mutated = await mutate(admissionRequest(object));
    const patched = applyAdmissionPatch(object, mutated);
    const first = await validate(admissionRequest(patched));
    const retry = await validate(admissionRequest(patched));
    expect(first.allowed).toBe(true);
    expect(retry.allowed).toBe(true);
    expect(store.claims.size).toBe(1);
  });

  it('claims nothing on a dry run, but still finds a taken address', async () => {
    const { response } = await admit(validRegistrationSpec(), { dryRun: true });
    expect(response.allowed).toBe(true);
    expect(store.claims.size).toBe(0);
    existingClaim(store, 'ada@example.com');
    const { response: taken } = await admit(validRegistrationSpec(), { dryRun: true });
    expect(taken.status?.code).toBe(409);
  });
});

describe('validating webhook on its own', () => {
  it('accepts the dry-run placeholder on a dry run only', async () => {
    const s = validRegistrationSpec() as Spec;
    s.password = dryRunPasswordPlaceholder();
    expect((await validate(admissionRequest(registrationObject(s), { dryRun: true }))).allowed).toBe(true);
    const real = await validate(admissionRequest(registrationObject(s)));
    expect(real.status?.code).toBe(422);
    expect(real.status?.message).toContain(
      'spec.password: starts with $scrypt$, which is reserved for password hashes, but is not a well-formed hash',
    );
    expect(store.claims.size).toBe(0);
  });

  it('refuses a plain password when the mutating webhook did not run, naming it', async () => {
    const response = await validate(admissionRequest(registrationObject(validRegistrationSpec())));
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain(
      'spec.password: is not hashed: the mutating webhook mutate-registrationrequests.webshop.cnpaas.dev did not run',
    );
    expect(response.status?.message).not.toContain(GOOD_PASSWORD);
  });

  it('refuses an email that is not normalised', async () => {
    const s = validRegistrationSpec({ email: 'Ada@example.com' }) as Spec;
    s.password = await hasher.hash(GOOD_PASSWORD);
    const response = await validate(admissionRequest(registrationObject(s)));
    expect(response.status?.message).toContain('spec.user.email: must be lower-case without surrounding spaces');
  });

  it('keeps the spec immutable on UPDATE but lets metadata change', async () => {
    const { stored } = await admit(validRegistrationSpec());
    const relabelled = structuredClone(stored!);
    relabelled.metadata!.labels = { team: 'a' };
    expect((await validate(admissionRequest(relabelled, { operation: 'UPDATE', oldObject: stored! }))).allowed).toBe(
      true,
    );

    const changed = structuredClone(stored!);
    (changed['spec'] as Spec).user.email = 'eve@example.com';
    const response = await validate(admissionRequest(changed, { operation: 'UPDATE', oldObject: stored! }));
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain('spec: cannot be changed after creation');
  });

  it('answers 503 when the claim cannot be checked', async () => {
    store.failWith = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    const { response } = await admit(validRegistrationSpec());
    expect(response.status?.code).toBe(503);
    expect(response.status?.reason).toBe('ServiceUnavailable');
    expect(response.status?.message).toContain('ECONNREFUSED');
  });

  it('lets DELETE and CONNECT through', async () => {
    expect((await validate(admissionRequest(null, { operation: 'DELETE' }))).allowed).toBe(true);
  });
});
