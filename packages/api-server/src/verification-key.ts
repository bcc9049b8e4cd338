/**
 * The key verification links are signed with: Secret
 * `cnpaas-system/cnpaas-verification-key`, key `key`, which `cnpaas up` and
 * `cnpaas install` make. Read with this server's own identity (a Role in
 * cnpaas-system that names that one Secret), kept for a minute so a burst
 * of verifications costs one read, and read again after that so a rotated
 * key takes effect without a restart. The key is never logged.
 */
import { MIN_TOKEN_KEY_BYTES } from '@cnpaas/service-kit';
import { VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import type { KubeApi } from './kube-api.js';
import { httpError } from './status.js';

export interface VerificationKeyOptions {
  kube: Pick<KubeApi, 'readSecretKey'>;
  /** How long a key read is reused; default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export class VerificationKey {
  readonly #options: VerificationKeyOptions;
  #cached: { key: Buffer; until: number } | undefined;

  constructor(options: VerificationKeyOptions) {
    this.#options = options;
  }

  /** The key; 503 CNPAAS_API_VERIFICATION_KEY when it is missing, unreadable or too short. */
  async get(): Promise<Buffer> {
    const now = (this.#options.now ?? Date.now)();
    if (this.#cached && now < this.#cached.until) return this.#cached.key;
    const { namespace, name, key: field } = VERIFICATION_KEY_SECRET;
    let key: Buffer | undefined;
    try {
      key = await this.#options.kube.readSecretKey({ namespace, name, field });
    } catch (err) {
      throw keyError(`cannot read Secret ${namespace}/${name}`, err);
    }
    if (!key || key.length < MIN_TOKEN_KEY_BYTES) {
      throw keyError(
        key
          ? `Secret ${namespace}/${name} key ${field} has ${key.length} bytes; at least ${MIN_TOKEN_KEY_BYTES} are needed`
          : `Secret ${namespace}/${name} (key ${field}) does not exist`,
      );
    }
    this.#cached = { key, until: now + (this.#options.cacheMs ?? 60_000) };
    return key;
  }
}

function keyError(message: string, cause?: unknown) {
  return httpError('CNPAAS_API_VERIFICATION_KEY', {
    code: 503,
    message: `verification is not available: ${message}`,
    hint: 'cnpaas up and cnpaas install make this Secret; retry once it exists',
    cause,
  });
}
