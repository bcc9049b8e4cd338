/**
 * The verification key, read from Secret cnpaas-system/cnpaas-verification-key
 * (key `key`) with the function's own identity, which may GET that one
 * Secret (manifests/rbac.yaml, resourceNames). Kept for a minute, then read
 * again, so a rotated key is used without a restart. Never logged.
 */
import { KubeClient } from '@cnpaas/kube';
import { MIN_TOKEN_KEY_BYTES } from '@cnpaas/service-kit';
import { VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import type { KubeConfig } from '@kubernetes/client-node';
import { FunctionsError, errorMessage } from '../errors.js';

export class KubeVerificationKey {
  readonly #client: KubeClient;
  readonly #cacheMs: number;
  #cached: { key: Buffer; until: number } | undefined;

  constructor(kc: KubeConfig, options: { cacheMs?: number } = {}) {
    this.#client = new KubeClient(kc, { requestTimeoutMs: 10_000 });
    this.#cacheMs = options.cacheMs ?? 60_000;
  }

  async get(): Promise<Buffer> {
    const now = Date.now();
    if (this.#cached && now < this.#cached.until) return this.#cached.key;
    const { namespace, name, key: field } = VERIFICATION_KEY_SECRET;
    let data: Record<string, string> | undefined;
    try {
      data = (
        await this.#client.json<{ data?: Record<string, string> }>({
          method: 'GET',
          path: `/api/v1/namespaces/${namespace}/secrets/${name}`,
        })
      ).data;
    } catch (err) {
      throw new FunctionsError(
        'CNPAAS_FUNCTIONS_VERIFICATION_LINK',
        `cannot read Secret ${namespace}/${name}: ${errorMessage(err)}`,
        { hint: 'cnpaas up and cnpaas install make it; apply packages/functions/manifests/rbac.yaml', cause: err },
      );
    }
    const key = Buffer.from(data?.[field] ?? '', 'base64');
    if (key.length < MIN_TOKEN_KEY_BYTES) {
      throw new FunctionsError(
        'CNPAAS_FUNCTIONS_VERIFICATION_LINK',
        `Secret ${namespace}/${name} key ${field} has ${key.length} bytes; at least ${MIN_TOKEN_KEY_BYTES} are needed`,
        { hint: 'put 32 random bytes under key `key`' },
      );
    }
    this.#cached = { key, until: now + this.#cacheMs };
    return key;
  }

  close(): void {
    this.#client.close();
  }
}
