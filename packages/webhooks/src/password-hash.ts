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
 * What counts as an acceptable hash (the exact format, the parameter bounds,
 * the cost floor) is defined once, in @cnpaas/operator, because the User
 * controller must accept exactly what these webhooks accept before it writes
 * a hash into a Secret. This file adds what only the webhooks do: make
 * hashes and verify passwords.
 *
 * A value that claims to be a hash (`$scrypt$`, `$argon2…`, any `$id$…`) but
 * does not parse, or uses weaker parameters than this hasher's, is
 * classified `malformed` and denied: otherwise a client could store any
 * string, or a cheap hash, by giving it a prefix.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_SCRYPT_PARAMS,
  KEY_BYTES,
  SALT_BYTES,
  SCRYPT_LIMITS,
  classifyPasswordValue,
  formatPasswordHash,
  parsePasswordHash,
  scryptMemoryBytes,
  scryptParamsInRange,
  type PasswordValueKind,
  type ScryptParams,
} from '@cnpaas/operator';
import { WebhooksError } from './errors.js';
import { normalisePassword } from './password-policy.js';

export {
  DEFAULT_SCRYPT_PARAMS,
  HASH_PREFIX,
  KEY_BYTES,
  SALT_BYTES,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
  type ParsedHash,
  type PasswordValueKind,
  type ScryptParams,
} from '@cnpaas/operator';

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
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

export interface PasswordHasherOptions {
  /** Cost parameters for new hashes, and the minimum an existing hash must have. Default ln=15, r=8, p=3. */
  params?: ScryptParams;
}

export class PasswordHasher {
  readonly params: Readonly<ScryptParams>;

  constructor(options: PasswordHasherOptions = {}) {
    const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
    if (!scryptParamsInRange(params)) {
      throw new WebhooksError(
        'CNPAAS_WEBHOOKS_HASH_PARAMS',
        `scrypt parameters ln=${params.ln},r=${params.r},p=${params.p} are out of range`,
        {
          hint: `use 1 ≤ ln ≤ ${SCRYPT_LIMITS.maxLn}, 1 ≤ r ≤ ${SCRYPT_LIMITS.maxR}, 1 ≤ p ≤ ${SCRYPT_LIMITS.maxP} and at most ${SCRYPT_LIMITS.maxMemoryBytes / 1024 / 1024} MiB (128·2^ln·r bytes); the default is ln=15,r=8,p=3`,
        },
      );
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
   * What a password value is, with this hasher's parameters as the cost
   * floor: a client must not be able to store a cheap hash by sending it
   * pre-computed (the shared rule of @cnpaas/operator).
   */
  classify(value: string): PasswordValueKind {
    return classifyPasswordValue(value, this.params);
  }
}
