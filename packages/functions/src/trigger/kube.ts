/**
 * The trigger's Kubernetes calls over the runtime's `ResourceClient`: the
 * watched resource's list/watch, the HTTPTrigger's /status (merge patch),
 * and a Secret key for `spec.tls.caSecretRef`.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ResourceClient, isNotFound, type ResourceRef } from '@cnpaas/operator';
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

export function kubeSecretReader(kc: KubeConfig): (ref: { namespace: string; name: string; key: string }) => Promise<string | undefined> {
  const secrets = new ResourceClient<KubernetesObject & { data?: Record<string, string> }>(kc, SECRETS);
  return async (ref) => {
    try {
      const secret = await secrets.get(ref);
      const value = secret.data?.[ref.key];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}
