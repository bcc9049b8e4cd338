/**
 * Object keys: `namespace/name` for namespaced objects and `name` for
 * cluster-scoped ones, exactly client-go's `MetaNamespaceKeyFunc`. Queues,
 * caches and reconcilers all speak in these keys, never in object payloads
 * (that is what makes reconciling level-triggered).
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export type ObjectKey = string;

export interface NamespacedName {
  /** Empty or undefined for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export function objectKey(ref: NamespacedName): ObjectKey {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function keyOf(obj: KubernetesObject): ObjectKey {
  return objectKey({ namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' });
}

export function splitKey(key: ObjectKey): NamespacedName {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
