import { beforeEach, describe, expect, it } from 'vitest';
import { dryRunPasswordPlaceholder } from './dry-run-password.js';
import { claimNameFor, emailSha256 } from './email-claim.js';
import { formatPasswordHash, type ScryptParams } from './password-hash.js';
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

/** A valid spec with the field at `path` (dotted, under spec) set to `value`, or removed when it is undefined. */
function withField(path: string, value: unknown): Spec {
  const s = validRegistrationSpec() as Spec;
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((o: Spec, key) => o[key], s);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return s;
}

/**
 * Cases for one field, each row `[case, value, ...problems]`: the field at `path` set to the value makes the
 * registration invalid (422), with each problem said of that field.
 */
function invalidField(path: string, rows: Array<[name: string, value: unknown, ...problems: string[]]>): BadCase[] {
  return rows.map(([name, value, ...problems]) => ({
    name,
    spec: withField(path, value),
    code: 422,
    expect: problems.map((problem) => `spec.${path}: ${problem}`),
  }));
}

/** A well-formed scrypt hash with these parameters (of no password in particular). */
const scryptHashWith = (params: ScryptParams): string =>
  formatPasswordHash({ algorithm: 'scrypt', params, salt: Buffer.alloc(16, 1), key: Buffer.alloc(32, 2) });

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
  ...invalidField('password', [
    ['password too short', 'Ab1!xy', 'must be at least 8 characters long (it has 6)'],
    ['password too long', 'Aa1!' + 'x'.repeat(61), 'must be at most 64 characters long (it has 65)'],
    ['password without upper-case', 'correct-horse-7', 'must contain an upper-case letter'],
    ['password without lower-case', 'CORRECT-HORSE-7', 'must contain a lower-case letter'],
    ['password without digit', 'Correct-Horse-x', 'must contain a digit'],
    ['password without special character', 'CorrectHorse7', 'must contain a special character'],
    [
      'password breaking four rules names all four',
      'abc',
      'must be at least 8 characters long (it has 3)',
      'must contain an upper-case letter',
      'must contain a digit',
      'must contain a special character',
    ],
    ['password with a line break', 'Correct\nHorse7', 'must not contain control characters'],
    [
      'plaintext posing as a hash',
      '$scrypt$ln=15,r=8,p=3$not-a-hash',
      'starts with $scrypt$, which is reserved for password hashes, but is not a well-formed hash',
    ],
    [
      'pre-computed hash weaker than required',
      scryptHashWith({ ln: 1, r: 1, p: 1 }),
      'is a scrypt hash weaker than the required ln=4,r=8,p=1',
    ],
    [
      'pre-computed hash at the required cost (its password never met the policy)',
      scryptHashWith(FAST_SCRYPT),
      "is a password hash; a registration carries the plain password, sent over the API's TLS connection",
    ],
    ['argon2 hash', '$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHQ$aGFzaA', 'starts with $argon2'],
  ]),
  // Emails.
  ...invalidField('user.email', [
    ['email without @', 'ada.example.com', 'must be an email address like name@example.com'],
    ['email without top-level domain', 'ada@example', 'must be an email address like name@example.com'],
    [
      'email with two dots in a row',
      'ada..l@example.com',
      'must not start or end the part before the @ with a dot, nor have two dots in a row',
    ],
    ['email domain label starting with a hyphen', 'ada@-example.com', 'must have a domain of dot-separated labels'],
    ['email too short', 'a@b', 'must be at least 5 characters long (it has 3)'],
    [
      'email too long',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com`,
      'must be at most 256 characters long (it has 257)',
    ],
    [
      'email local part over 64',
      `${'a'.repeat(65)}@example.com`,
      'must have at most 64 characters before the @ (it has 65)',
    ],
  ]),
  // Person names.
  ...invalidField('user.firstName', [
    [
      'first name with a digit',
      'Ada2',
      'must start with a letter and contain only letters, accents, spaces, apostrophes and hyphens',
    ],
    ['first name starting with a hyphen', '-Ada', 'must start with a letter'],
    ['first name too long', 'A'.repeat(126), 'must be at most 125 characters long (it has 126)'],
    ['first name not a string', 42, 'must be a string'],
  ]),
  ...invalidField('user.lastName', [
    ['empty last name', '', 'must not be empty'],
    ['last name with a line break', 'Love\nlace', 'must not contain control characters'],
  ]),
  // Phone numbers.
  ...invalidField('user.phoneNumber', [
    ['phone starting with 0', '02079460000', 'must be a phone number in E.164 form'],
    ['phone with spaces', '+44 20 7946 0000', 'must be a phone number in E.164 form'],
    ['phone too short', '+123456', 'must be a phone number in E.164 form: an optional +, then 7 to 15 digits'],
  ]),
  // Missing fields.
  { name: 'no spec', spec: undefined, code: 422, expect: ['spec: is required'] },
  ...invalidField('user', [['no user', undefined, 'is required']]),
  ...invalidField('password', [['no password', undefined, 'is required']]),
  ...invalidField('tenant', [['no tenant', undefined, 'is required']]),
  ...invalidField('user.email', [['no email', undefined, 'is required']]),
  {
    name: 'no country, no city',
    spec: spec((s) => {
      delete s.tenant.country;
      delete s.tenant.city;
    }),
    code: 422,
    expect: ['spec.tenant.country: is required', 'spec.tenant.city: is required'],
  },
  ...invalidField('tenant.city', [
    ['city only spaces', '   ', 'must not be only spaces'],
    ['city too long', 'x'.repeat(51), 'must be at most 50 characters long (it has 51)'],
  ]),
  // Oversized and malformed tenant fields.
  ...invalidField('tenant.country', [
    ['country code too long', 'GBRX', 'must be at most 3 characters long (it has 4)'],
    ['country code with digits', '12', 'must be a country code of letters only'],
  ]),
  ...invalidField('tenant.address', [
    ['address too long', 'x'.repeat(513), 'must be at most 512 characters long (it has 513)'],
  ]),
  ...invalidField('tenant.postalCode', [
    ['postal code too long', '9'.repeat(31), 'must be at most 30 characters long (it has 31)'],
  ]),
  ...invalidField('tenant.taxNumber', [
    ['tax number too long', 'T'.repeat(257), 'must be at most 256 characters long (it has 257)'],
  ]),
  ...invalidField('tenant.companyName', [
    ['company name too long', 'C'.repeat(251), 'must be at most 250 characters long (it has 251)'],
  ]),
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
