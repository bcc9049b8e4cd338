/**
 * ownerReferences: the apiserver's garbage collector deletes dependents whose
 * owners are gone, which is how "delete the Tenant" removes its Namespace and
 * cluster RBAC without code of ours. A controller marks its children with a
 * *controller* reference (at most one per object) and finds the owner again
 * through it (`Controller.owns`).
 */
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { KubeError } from './errors.js';

export interface ControllerRefOptions {
  /**
   * Keep the owner from disappearing before this dependent under foreground
   * deletion. Default true. Needs `update` on the owner's `finalizers`
   * subresource in RBAC.
   */
  blockOwnerDeletion?: boolean;
}

/** A controller ownerReference to `owner`, which must carry apiVersion, kind, name and uid. */
export function controllerRef(owner: KubernetesObject, options: ControllerRefOptions = {}): V1OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid) {
    throw new KubeError(
      'CNPAAS_KUBE_OWNER_INVALID',
      `an owner needs apiVersion, kind, metadata.name and metadata.uid; got ${kind ?? '?'} ${name ?? '?'} (uid ${uid ?? 'missing'})`,
      { hint: 'use the object as read from the API (the cache or a GET), not a locally built one' },
    );
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: options.blockOwnerDeletion ?? true };
}

/** The controller ownerReference of `obj`, if any. */
export function controllerOf(obj: KubernetesObject): V1OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** True when `owner` (by uid) is the controller of `obj`. */
export function isControlledBy(obj: KubernetesObject, owner: KubernetesObject): boolean {
  const uid = owner.metadata?.uid;
  return uid !== undefined && controllerOf(obj)?.uid === uid;
}

/**
 * Returns a copy of `obj` whose controller reference points at `owner`.
 * Refuses, like controller-runtime's SetControllerReference, when another
 * object already controls it, and when a namespaced owner would own an object
 * outside its namespace (the GC would treat such a reference as dangling and
 * delete the dependent).
 */
export function withControllerRef<T extends KubernetesObject>(
  obj: T,
  owner: KubernetesObject,
  options: ControllerRefOptions = {},
): T {
  const ref = controllerRef(owner, options);
  const current = controllerOf(obj);
  if (current && current.uid !== ref.uid) {
    throw new KubeError(
      'CNPAAS_KUBE_ALREADY_OWNED',
      `${obj.kind ?? 'object'} ${obj.metadata?.name ?? '?'} is already controlled by ${current.kind} ${current.name}`,
      { hint: 'an object has one controller: do not adopt objects another controller owns' },
    );
  }
  const ownerNs = owner.metadata?.namespace;
  if (ownerNs && obj.metadata?.namespace !== ownerNs) {
    throw new KubeError(
      'CNPAAS_KUBE_CROSS_NAMESPACE_OWNER',
      `namespaced owner ${ref.kind} ${ownerNs}/${ref.name} cannot own ${obj.kind ?? 'object'} ${obj.metadata?.namespace ?? '(cluster-scoped)'}/${obj.metadata?.name ?? '?'}`,
      { hint: 'cluster-scoped objects need a cluster-scoped owner; namespaced ones an owner in the same namespace' },
    );
  }
  const others = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...others, ref] } };
}
