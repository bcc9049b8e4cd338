/**
 * The one definition of an acceptable stored password hash, shared by the
 * admission webhooks (@cnpaas/webhooks, which make the hashes and judge
 * every value that claims to be one) and the User controller (which writes
 * the hash into the User's password Secret). Both must agree exactly: a
 * value one of them lets through the other must not refuse, and nothing
 * either refuses may reach a Secret. It lives here because the webhooks
 * package depends on this one, not the reverse.
 *
 * A hash is a scrypt PHC string:
 *
 *     $scrypt$ln=15,r=8,p=3$<salt, base64 no padding>$<key, base64 no padding>
 *
 * `ln` is log2(N). It is acceptable when it parses exactly (canonical
 * base64, salt ≥ 16 bytes, a 32-byte key, parameters in range) and its cost
 * is at least the floor (default ln=15, r=8, p=3): otherwise anyone able to
 * write the value could store a cheap hash, or any string, by giving it the
 * prefix. Only parsing and judging live here; making and verifying hashes is
 * the webhooks' job (node:crypto scrypt there).
 */

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/** The cost of new hashes and the floor for existing ones (one of OWASP's equal-strength scrypt settings, 32 MiB). */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 3 });

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;
export const HASH_PREFIX = '$scrypt$';

/** Upper bounds so a stored hash cannot make a verifier allocate gigabytes. */
export const SCRYPT_LIMITS = Object.freeze({ maxLn: 20, maxR: 32, maxP: 16, maxMemoryBytes: 256 * 1024 * 1024 });

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * The start of any PHC or modular-crypt string: `$id$` with a lower-case id
 * (`$scrypt$`, `$argon2id$`, `$2b$` bcrypt, `$6$` sha512-crypt, `$pbkdf2-sha256$`, …).
 */
const PHC_LIKE = /^\$[a-z0-9-]{1,32}\$/;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

export type PasswordValueKind =
  /** Not shaped like a hash at all. */
  | { kind: 'plaintext' }
  /** A scrypt hash that parses exactly, at or above the cost floor. */
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

/** Parses a `$scrypt$` PHC string; undefined when it is not exactly well-formed. */
export function parsePasswordHash(value: string): ParsedHash | undefined {
  const m = PHC.exec(value);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!scryptParamsInRange(params)) return undefined;
  const salt = fromB64(m[4]!);
  const key = fromB64(m[5]!);
  if (!salt || !key || salt.length < SALT_BYTES || key.length !== KEY_BYTES) return undefined;
  return { params, salt, key };
}

export function formatPasswordHash(parsed: ParsedHash): string {
  const { ln, r, p } = parsed.params;
  return `${HASH_PREFIX}ln=${ln},r=${r},p=${p}$${b64(parsed.salt)}$${b64(parsed.key)}`;
}

/** True for anything shaped like a password hash (PHC or modular crypt), acceptable or not. */
export function looksLikePasswordHash(value: string): boolean {
  return value.startsWith('$argon2') || PHC_LIKE.test(value);
}

/**
 * What a password value is, judged against a cost floor. A well-formed hash
 * counts only when every parameter is at least the floor's, so raising the
 * floor later still accepts the stronger hashes made since.
 */
export function classifyPasswordValue(
  value: string,
  floor: Readonly<ScryptParams> = DEFAULT_SCRYPT_PARAMS,
): PasswordValueKind {
  if (value.startsWith('$argon2')) {
    return {
      kind: 'malformed',
      reason:
        'starts with $argon2, which is reserved for password hashes; send the plain password, not starting with $argon2 or $scrypt$ (this webhook hashes it with scrypt)',
    };
  }
  if (!value.startsWith(HASH_PREFIX)) {
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
      reason: `starts with ${HASH_PREFIX}, which is reserved for password hashes, but is not a well-formed hash; send the plain password, not starting with ${HASH_PREFIX}`,
    };
  }
  const { ln, r, p } = floor;
  if (parsed.params.ln < ln || parsed.params.r < r || parsed.params.p < p) {
    return {
      kind: 'malformed',
      reason: `is a scrypt hash weaker than the required ln=${ln},r=${r},p=${p}; send the plain password instead`,
    };
  }
  return { kind: 'hash' };
}
