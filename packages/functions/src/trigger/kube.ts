/**
 * The trigger's Kubernetes calls over the runtime's `ResourceClient`: the
 * watched resource's list/watch, the HTTPTrigger's /status (merge patch),
 * and the Secrets an HTTPTrigger names (`spec.tls.caSecretRef`,
 * `spec.tls.clientSecretRef`).
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, ResourceClient, type ResourceRef } from '@cnpaas/kube';
import type { SecretReader } from './delivery-tls.js';
import type { ListerWatcherFactory } from './runner.js';
import type { StatusPatcher } from './status-writer.js';
import { HTTPTRIGGERS_RESOURCE, TRIGGER_NAME } from './types.js';

const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };

export function kubeListerWatcherFactory(kc: KubeConfig): ListerWatcherFactory {
  return (resource, scope) => new ResourceClient(kc, resource, scope);
}

export function kubeStatusPatcher(kc: KubeConfig): StatusPatcher {
  const triggers = new ResourceClient(kc, HTTPTRIGGERS_RESOURCE);
  return {
    async patch(target, status) {
      await triggers.mergePatch(target, { status }, { subresource: 'status', fieldManager: TRIGGER_NAME });
    },
  };
}

export function kubeSecretReader(kc: KubeConfig): SecretReader {
  const secrets = new ResourceClient<KubernetesObject & { data?: Record<string, string> }>(kc, SECRETS);
  return async (ref) => {
    try {
      const secret = await secrets.get(ref);
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}
