/**
 * The one definition of an acceptable stored password hash, shared by the
 * admission webhooks (@cnpaas/webhooks, which make the hashes and judge
 * every value that claims to be one) and the User controller (which writes
 * the hash into the User's password Secret). Both must agree exactly: a
 * value one of them lets through the other must not refuse, and nothing
 * either refuses may reach a Secret. It lives here because the webhooks
 * package depends on this one, not the reverse.
 *
 * A hash is a PHC string in one of two algorithms:
 *
 *     $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 no padding>$<key, base64 no padding>
 *     $scrypt$ln=15,r=8,p=3$<salt, base64 no padding>$<key, base64 no padding>
 *
 * New hashes are argon2id (`m` in KiB, `t` passes, `p` lanes); scrypt
 * (`ln` is log2(N)) is what hashes were made with before, and those stay
 * valid so no stored password has to be reset. A hash is acceptable when it
 * parses exactly (canonical base64, salt ≥ 16 bytes, a 32-byte key,
 * parameters in range) and its cost is at least its algorithm's floor
 * (argon2id: OWASP's minimum m=19456,t=2,p=1; scrypt: ln=15, r=8, p=3):
 * otherwise anyone able to write the value could store a cheap hash, or any
 * string, by giving it the prefix. Only parsing and judging live here;
 * making and verifying hashes is the webhooks' job (node:crypto there).
 */

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

export interface Argon2Params {
  /** Memory in KiB. */
  m: number;
  /** Passes over the memory (time cost). */
  t: number;
  /** Lanes (parallelism). */
  p: number;
}

/** The floor for existing scrypt hashes (one of OWASP's equal-strength scrypt settings, 32 MiB); no new ones are made. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 3 });

/**
 * OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): the
 * default cost of new hashes and the floor no stored hash or configured cost
 * may go below. 19 MiB per hash, where scrypt's setting needed 32 MiB.
 */
export const ARGON2ID_FLOOR: Readonly<Argon2Params> = Object.freeze({ m: 19456, t: 2, p: 1 });

/** The weakest cost a stored hash may have, per algorithm. */
export interface PasswordHashFloor {
  argon2id: Readonly<Argon2Params>;
  scrypt: Readonly<ScryptParams>;
}

export const DEFAULT_HASH_FLOOR: Readonly<PasswordHashFloor> = Object.freeze({
  argon2id: ARGON2ID_FLOOR,
  scrypt: DEFAULT_SCRYPT_PARAMS,
});

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;
/** The prefix of every new hash. */
export const HASH_PREFIX = '$argon2id$';
export const SCRYPT_PREFIX = '$scrypt$';
/** The only argon2 version there is a PHC encoding for (0x13). */
export const ARGON2_VERSION = 19;

/** Upper bounds so a stored hash cannot make a verifier allocate gigabytes. */
export const SCRYPT_LIMITS = Object.freeze({ maxLn: 20, maxR: 32, maxP: 16, maxMemoryBytes: 256 * 1024 * 1024 });

/**
 * Upper bounds for argon2id, for the same reason: 256 MiB of memory (m is in
 * KiB), and few enough passes and lanes that one stored hash cannot hold a
 * thread-pool thread for long. RFC 9106 also requires m ≥ 8·p.
 */
export const ARGON2_LIMITS = Object.freeze({ maxM: 256 * 1024, maxT: 16, maxP: 16 });

const SCRYPT_PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
// Digits without leading zeros, so one hash has exactly one spelling.
const ARGON2ID_PHC =
  /^\$argon2id\$v=(\d{1,3})\$m=([1-9]\d{0,8}),t=([1-9]\d{0,2}),p=([1-9]\d{0,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * The start of any PHC or modular-crypt string: `$id$` with a lower-case id
 * (`$scrypt$`, `$argon2id$`, `$2b$` bcrypt, `$6$` sha512-crypt, `$pbkdf2-sha256$`, …).
 */
const PHC_LIKE = /^\$[a-z0-9-]{1,32}\$/;

export type ParsedHash =
  | { algorithm: 'argon2id'; params: Argon2Params; salt: Buffer; key: Buffer }
  | { algorithm: 'scrypt'; params: ScryptParams; salt: Buffer; key: Buffer };

export type PasswordValueKind =
  /** Not shaped like a hash at all. */
  | { kind: 'plaintext' }
  /** An argon2id or scrypt hash that parses exactly, at or above its cost floor. */
  | { kind: 'hash' }
  /** Shaped like a hash but not an acceptable one. `reason` reads after the field name ("spec.password …"). */
  | { kind: 'malformed'; reason: string };

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/** Decodes unpadded base64 strictly: the text must be the canonical encoding of its bytes. */
function fromB64(text: string): Buffer | undefined {
  const buf = Buffer.from(text, 'base64');
  return b64(buf) === text ? buf : undefined;
}

/** Bytes scrypt needs for these parameters (128·N·r). */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

export function scryptParamsInRange(params: ScryptParams): boolean {
  const { maxLn, maxR, maxP, maxMemoryBytes } = SCRYPT_LIMITS;
  return (
    Number.isInteger(params.ln) &&
    params.ln >= 1 &&
    params.ln <= maxLn &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= maxR &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= maxP &&
    scryptMemoryBytes(params) <= maxMemoryBytes
  );
}

export function argon2ParamsInRange(params: Argon2Params): boolean {
  const { maxM, maxT, maxP } = ARGON2_LIMITS;
  return (
    Number.isInteger(params.m) &&
    Number.isInteger(params.t) &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= maxP &&
    params.t >= 1 &&
    params.t <= maxT &&
    params.m >= 8 * params.p &&
    params.m <= maxM
  );
}

/** True when every parameter is at least the floor's, so a later raise still accepts the stronger hashes made since. */
export function argon2AtLeast(params: Argon2Params, floor: Readonly<Argon2Params>): boolean {
  return params.m >= floor.m && params.t >= floor.t && params.p >= floor.p;
}

export function formatArgon2Params(params: Argon2Params): string {
  return `m=${params.m},t=${params.t},p=${params.p}`;
}

function saltAndKey(salt: string, key: string): { salt: Buffer; key: Buffer } | undefined {
  const s = fromB64(salt);
  const k = fromB64(key);
  if (!s || !k || s.length < SALT_BYTES || k.length !== KEY_BYTES) return undefined;
  return { salt: s, key: k };
}

/** Parses an `$argon2id$` or `$scrypt$` PHC string; undefined when it is not exactly well-formed. */
export function parsePasswordHash(value: string): ParsedHash | undefined {
  const a = ARGON2ID_PHC.exec(value);
  if (a) {
    if (Number(a[1]) !== ARGON2_VERSION) return undefined;
    const params = { m: Number(a[2]), t: Number(a[3]), p: Number(a[4]) };
    if (!argon2ParamsInRange(params)) return undefined;
    const bytes = saltAndKey(a[5]!, a[6]!);
    return bytes && { algorithm: 'argon2id', params, ...bytes };
  }
  const m = SCRYPT_PHC.exec(value);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!scryptParamsInRange(params)) return undefined;
  const bytes = saltAndKey(m[4]!, m[5]!);
  return bytes && { algorithm: 'scrypt', params, ...bytes };
}

export function formatPasswordHash(parsed: ParsedHash): string {
  if (parsed.algorithm === 'argon2id') {
    return `${HASH_PREFIX}v=${ARGON2_VERSION}$${formatArgon2Params(parsed.params)}$${b64(parsed.salt)}$${b64(parsed.key)}`;
  }
  const { ln, r, p } = parsed.params;
  return `${SCRYPT_PREFIX}ln=${ln},r=${r},p=${p}$${b64(parsed.salt)}$${b64(parsed.key)}`;
}

/** True for anything shaped like a password hash (PHC or modular crypt), acceptable or not. */
export function looksLikePasswordHash(value: string): boolean {
  return value.startsWith('$argon2') || PHC_LIKE.test(value);
}

/** The rule in words, for messages that must say what would have been accepted (never the value). */
export function describeHashRule(floor: Readonly<PasswordHashFloor> = DEFAULT_HASH_FLOOR): string {
  const { ln, r, p } = floor.scrypt;
  return `an exact $argon2id$ PHC string with cost at least ${formatArgon2Params(floor.argon2id)}, or an exact $scrypt$ one with cost at least ln=${ln},r=${r},p=${p}`;
}

/**
 * What a password value is, judged against a cost floor per algorithm. A
 * well-formed hash counts only when every parameter is at least the floor's,
 * so raising the floor later still accepts the stronger hashes made since.
 */
export function classifyPasswordValue(
  value: string,
  floor: Readonly<PasswordHashFloor> = DEFAULT_HASH_FLOOR,
): PasswordValueKind {
  const prefix = value.startsWith(HASH_PREFIX) ? HASH_PREFIX : value.startsWith(SCRYPT_PREFIX) ? SCRYPT_PREFIX : '';
  if (!prefix) {
    // argon2i, argon2d and any other $argon2 spelling: reserved, but not a kind of hash made or accepted here.
    if (value.startsWith('$argon2')) {
      return {
        kind: 'malformed',
        reason: `starts with $argon2, which is reserved for password hashes, and only ${HASH_PREFIX} is accepted; send the plain password, not starting with $argon2 or ${SCRYPT_PREFIX} (this webhook hashes it with argon2id)`,
      };
    }
    if (!PHC_LIKE.test(value)) return { kind: 'plaintext' };
    return {
      kind: 'malformed',
      reason:
        'starts like a password hash ($id$…), which is not accepted; send the plain password, not starting with $<lower-case letters or digits>$',
    };
  }
  const parsed = parsePasswordHash(value);
  if (!parsed) {
    return {
      kind: 'malformed',
      reason: `starts with ${prefix}, which is reserved for password hashes, but is not a well-formed hash; send the plain password, not starting with ${prefix}`,
    };
  }
  if (parsed.algorithm === 'argon2id') {
    if (!argon2AtLeast(parsed.params, floor.argon2id)) {
      return {
        kind: 'malformed',
        reason: `is an argon2id hash weaker than the required ${formatArgon2Params(floor.argon2id)}; send the plain password instead`,
      };
    }
    return { kind: 'hash' };
  }
  const { ln, r, p } = floor.scrypt;
  if (parsed.params.ln < ln || parsed.params.r < r || parsed.params.p < p) {
    return {
      kind: 'malformed',
      reason: `is a scrypt hash weaker than the required ln=${ln},r=${r},p=${p}; send the plain password instead`,
    };
  }
  return { kind: 'hash' };
}
