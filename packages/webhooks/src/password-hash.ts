/**
 * Password hashing with argon2id from node:crypto (no native add-on to
 * build), stored as a PHC string:
 *
 *     $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 no padding>$<key, base64 no padding>
 *
 * The default cost m=19456 (19 MiB), t=2, p=1 is OWASP's recommended minimum
 * for argon2id, and it is also the floor: --argon2id-cost may raise it, never
 * lower it. It needs 19 MiB per hash where the scrypt setting used before
 * needed 32 MiB, which matters on a 2-core machine hashing several
 * registrations at once, and takes tens of milliseconds. The async
 * `crypto.argon2` runs on libuv's thread pool, so hashing never stops the
 * event loop.
 *
 * Hashes made before argon2id are scrypt (`$scrypt$ln=15,r=8,p=3$…`); they
 * still verify and are still accepted at or above their floor, so no stored
 * password has to be reset. Nothing here makes a new scrypt hash.
 *
 * What counts as an acceptable hash (the exact format, the parameter bounds,
 * the cost floors) is defined once, in @cnpaas/operator, because the User
 * controller must accept exactly what these webhooks accept before it writes
 * a hash into a Secret. This file adds what only the webhooks do: make
 * hashes and verify passwords.
 *
 * A value that claims to be a hash (`$argon2id$`, `$scrypt$`, any `$id$…`)
 * but does not parse, or uses weaker parameters than the floor, is
 * classified `malformed` and denied: otherwise a client could store any
 * string, or a cheap hash, by giving it a prefix.
 */
import { argon2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  ARGON2ID_FLOOR,
  ARGON2_LIMITS,
  DEFAULT_HASH_FLOOR,
  KEY_BYTES,
  SALT_BYTES,
  argon2AtLeast,
  argon2ParamsInRange,
  classifyPasswordValue,
  formatArgon2Params,
  formatPasswordHash,
  parsePasswordHash,
  scryptMemoryBytes,
  type Argon2Params,
  type PasswordHashFloor,
  type PasswordValueKind,
  type ScryptParams,
} from '@cnpaas/operator';
import { WebhooksError } from './errors.js';
import { normalisePassword } from './password-policy.js';

export {
  ARGON2ID_FLOOR,
  ARGON2_LIMITS,
  DEFAULT_HASH_FLOOR,
  DEFAULT_SCRYPT_PARAMS,
  HASH_PREFIX,
  KEY_BYTES,
  SALT_BYTES,
  SCRYPT_PREFIX,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
  type Argon2Params,
  type ParsedHash,
  type PasswordHashFloor,
  type PasswordValueKind,
  type ScryptParams,
} from '@cnpaas/operator';

function deriveArgon2id(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: normalisePassword(password),
        nonce: salt,
        memory: params.m,
        passes: params.t,
        parallelism: params.p,
        tagLength: KEY_BYTES,
      },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

function deriveScrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      normalisePassword(password),
      salt,
      KEY_BYTES,
      // maxmem: Node refuses when 128·N·r reaches its 32 MiB default, which ln=15, r=8 does exactly.
      { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 2 * scryptMemoryBytes(params) },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/**
 * A scrypt PHC string as hashes were made before argon2id. Not used for new
 * passwords; it exists so tests (and anyone checking a migration) can make
 * the old format with the exact derivation `verify` uses.
 */
export async function scryptHash(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveScrypt(password, salt, params);
  return formatPasswordHash({ algorithm: 'scrypt', params, salt, key });
}

/** The --argon2id-cost hint: the format, the floor and the limits. */
export const ARGON2ID_COST_RULE = `m=<KiB>,t=<passes>,p=<lanes>, at least ${formatArgon2Params(ARGON2ID_FLOOR)} (the floor, OWASP's minimum for argon2id) and at most m=${ARGON2_LIMITS.maxM},t=${ARGON2_LIMITS.maxT},p=${ARGON2_LIMITS.maxP} with m ≥ 8·p`;

export interface PasswordHasherOptions {
  /** Cost of new argon2id hashes; at least ARGON2ID_FLOOR (the default). */
  argon2id?: Argon2Params;
  /**
   * The floor for existing scrypt hashes; default ln=15, r=8, p=3. Only tests
   * lower it, to verify cheap scrypt hashes quickly.
   */
  scryptFloor?: ScryptParams;
}

export class PasswordHasher {
  /** The cost of new hashes. */
  readonly params: Readonly<Argon2Params>;
  /** What a stored hash must have at least, per algorithm. */
  readonly floor: Readonly<PasswordHashFloor>;

  constructor(options: PasswordHasherOptions = {}) {
    const params = options.argon2id ?? ARGON2ID_FLOOR;
    if (!argon2ParamsInRange(params) || !argon2AtLeast(params, ARGON2ID_FLOOR)) {
      throw new WebhooksError(
        'CNPAAS_WEBHOOKS_HASH_PARAMS',
        `argon2id cost ${formatArgon2Params(params)} is ${argon2AtLeast(params, ARGON2ID_FLOOR) ? 'out of range' : `below the floor ${formatArgon2Params(ARGON2ID_FLOOR)}`}`,
        { hint: `use ${ARGON2ID_COST_RULE}; the default is the floor` },
      );
    }
    this.params = Object.freeze({ ...params });
    this.floor = Object.freeze({
      argon2id: ARGON2ID_FLOOR,
      scrypt: Object.freeze({ ...(options.scryptFloor ?? DEFAULT_HASH_FLOOR.scrypt) }),
    });
  }

  /** A new argon2id PHC string with a fresh random salt. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveArgon2id(password, salt, this.params);
    return formatPasswordHash({ algorithm: 'argon2id', params: this.params, salt, key });
  }

  /**
   * True when `password` matches `phc`, an argon2id or a scrypt hash, with the
   * parameters stored in it (bounded by the shared limits, so a stored hash
   * cannot make this allocate gigabytes). A malformed `phc` never matches.
   * Constant-time in the key comparison.
   */
  async verify(password: string, phc: string): Promise<boolean> {
    const parsed = parsePasswordHash(phc);
    if (!parsed) return false;
    const key =
      parsed.algorithm === 'argon2id'
        ? await deriveArgon2id(password, parsed.salt, parsed.params)
        : await deriveScrypt(password, parsed.salt, parsed.params);
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }

  /**
   * What a password value is, against the floors: a client must not be able
   * to store a cheap hash by sending it pre-computed (the shared rule of
   * @cnpaas/operator).
   */
  classify(value: string): PasswordValueKind {
    return classifyPasswordValue(value, this.floor);
  }
}
