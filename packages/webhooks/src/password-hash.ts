/**
 * Password hashing with scrypt from node:crypto (no native add-on to build),
 * stored as a PHC string:
 *
 *     $scrypt$ln=15,r=8,p=3$<salt, base64 no padding>$<key, base64 no padding>
 *
 * `ln` is log2(N). The default cost ln=15, r=8, p=3 is one of OWASP's
 * equal-strength scrypt settings (N=2^15, r=8, p=3); it needs 32 MiB per hash
 * where the better-known N=2^17, p=1 needs 128 MiB, which matters on a 2-core
 * machine hashing several registrations at once. It takes a few hundred
 * milliseconds, well inside the webhook's 10 s timeout.
 *
 * The mutating webhook may be called again for the same object
 * (`reinvocationPolicy: IfNeeded`), so `classify` recognises a hash this
 * hasher would accept as already hashed and it is never hashed twice. A value
 * that claims to be a hash (`$scrypt$`, `$argon2…`) but does not parse, or
 * uses weaker parameters, is classified `malformed` and denied: otherwise a
 * client could store any string, or a cheap hash, by giving it a prefix.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { WebhooksError } from './errors.js';
import { normalisePassword } from './password-policy.js';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 3 });

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;
export const HASH_PREFIX = '$scrypt$';

/** Upper bounds so a stored hash cannot make `verify` allocate gigabytes. */
const MAX_LN = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

export type PasswordValueKind =
  /** Not a hash: check the policy, then hash it. */
  | { kind: 'plaintext' }
  /** A hash this hasher accepts as its own: leave it alone. */
  | { kind: 'hash' }
  /** Claims to be a hash but is not an acceptable one: deny. `reason` reads after "spec.password ". */
  | { kind: 'malformed'; reason: string };

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/** Decodes unpadded base64 strictly: the text must be the canonical encoding of its bytes. */
function fromB64(text: string): Buffer | undefined {
  const buf = Buffer.from(text, 'base64');
  return b64(buf) === text ? buf : undefined;
}

function memoryBytes(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

function paramsInRange(params: ScryptParams): boolean {
  return (
    Number.isInteger(params.ln) && params.ln >= 1 && params.ln <= MAX_LN &&
    Number.isInteger(params.r) && params.r >= 1 && params.r <= MAX_R &&
    Number.isInteger(params.p) && params.p >= 1 && params.p <= MAX_P &&
    memoryBytes(params) <= MAX_MEMORY_BYTES
  );
}

/** Parses a `$scrypt$` PHC string; undefined when it is not exactly well-formed. */
export function parsePasswordHash(value: string): ParsedHash | undefined {
  const m = PHC.exec(value);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!paramsInRange(params)) return undefined;
  const salt = fromB64(m[4]!);
  const key = fromB64(m[5]!);
  if (!salt || !key || salt.length < SALT_BYTES || key.length !== KEY_BYTES) return undefined;
  return { params, salt, key };
}

export function formatPasswordHash(parsed: ParsedHash): string {
  const { ln, r, p } = parsed.params;
  return `${HASH_PREFIX}ln=${ln},r=${r},p=${p}$${b64(parsed.salt)}$${b64(parsed.key)}`;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      normalisePassword(password),
      salt,
      KEY_BYTES,
      // maxmem: Node refuses when 128·N·r reaches its 32 MiB default, which ln=15, r=8 does exactly.
      { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 2 * memoryBytes(params) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export interface PasswordHasherOptions {
  /** Cost parameters for new hashes, and the minimum an existing hash must have. Default ln=15, r=8, p=3. */
  params?: ScryptParams;
}

export class PasswordHasher {
  readonly params: Readonly<ScryptParams>;

  constructor(options: PasswordHasherOptions = {}) {
    const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
    if (!paramsInRange(params)) {
      throw new WebhooksError('CNPAAS_WEBHOOKS_HASH_PARAMS', `scrypt parameters ln=${params.ln},r=${params.r},p=${params.p} are out of range`, {
        hint: `use 1 ≤ ln ≤ ${MAX_LN}, 1 ≤ r ≤ ${MAX_R}, 1 ≤ p ≤ ${MAX_P} and at most ${MAX_MEMORY_BYTES / 1024 / 1024} MiB (128·2^ln·r bytes); the default is ln=15,r=8,p=3`,
      });
    }
    this.params = Object.freeze({ ...params });
  }

  /** A new PHC string with a fresh random salt. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.params);
    return formatPasswordHash({ params: this.params, salt, key });
  }

  /** True when `password` matches `phc`. A malformed `phc` never matches. Constant-time in the key comparison. */
  async verify(password: string, phc: string): Promise<boolean> {
    const parsed = parsePasswordHash(phc);
    if (!parsed) return false;
    const key = await derive(password, parsed.salt, parsed.params);
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }

  /**
   * What a `spec.password` value is. A well-formed hash counts as ours only
   * when its parameters are at least this hasher's: a client must not be
   * able to store a cheap hash by sending it pre-computed.
   */
  classify(value: string): PasswordValueKind {
    if (value.startsWith('$argon2')) {
      return {
        kind: 'malformed',
        reason: 'starts with $argon2, which is reserved for password hashes; send the plain password, not starting with $argon2 or $scrypt$ (this webhook hashes it with scrypt)',
      };
    }
    if (!value.startsWith(HASH_PREFIX)) return { kind: 'plaintext' };
    const parsed = parsePasswordHash(value);
    if (!parsed) {
      return {
        kind: 'malformed',
        reason: `starts with ${HASH_PREFIX}, which is reserved for password hashes, but is not a well-formed hash; send the plain password, not starting with ${HASH_PREFIX}`,
      };
    }
    const { ln, r, p } = this.params;
    if (parsed.params.ln < ln || parsed.params.r < r || parsed.params.p < p) {
      return {
        kind: 'malformed',
        reason: `is a scrypt hash weaker than the required ln=${ln},r=${r},p=${p}; send the plain password instead`,
      };
    }
    return { kind: 'hash' };
  }
}
