/**
 * Finalizers, after kube-rs's `finalizer()` helper: the finalizer is added
 * before any work is done, so "if apply ever started, cleanup must succeed
 * before the object is gone". Both the add and the remove are JSON Patches
 * guarded by `test` ops, so a concurrent writer makes our patch fail (and the
 * reconcile retry) instead of being silently overwritten:
 *
 * - add: `test` the resourceVersion we read, then append;
 * - remove: `test` that the finalizer is still at the index we saw, then
 *   remove that index (other controllers may edit their own finalizers
 *   meanwhile; an index shift fails the test rather than removing theirs).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { keyOf, splitKey, type NamespacedName } from './keys.js';
import type { JsonPatchOp } from './resource-client.js';

export function hasFinalizer(obj: KubernetesObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** The patch that adds `finalizer`, or undefined when it is already there. */
export function addFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  if (hasFinalizer(obj, finalizer)) return undefined;
  const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion }];
  if (obj.metadata?.finalizers === undefined) ops.push({ op: 'add', path: '/metadata/finalizers', value: [finalizer] });
  else ops.push({ op: 'add', path: '/metadata/finalizers/-', value: finalizer });
  return ops;
}

/** The patch that removes `finalizer` by index, or undefined when it is absent. */
export function removeFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  const index = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return undefined;
  const path = `/metadata/finalizers/${index}`;
  return [
    { op: 'test', path, value: finalizer },
    { op: 'remove', path },
  ];
}

/** What `finalizer()` needs from a client: `ResourceClient` fits. */
export interface FinalizerPatcher<T extends KubernetesObject> {
  jsonPatch(target: NamespacedName, ops: readonly JsonPatchOp[], options?: { signal?: AbortSignal }): Promise<T>;
}

export interface FinalizerOptions<T extends KubernetesObject, R> {
  /** The finalizer name, domain-qualified, e.g. 'example.dev/cleanup'. */
  name: string;
  client: FinalizerPatcher<T>;
  /** Runs while the object is live, always after the finalizer is in place. Must be idempotent. */
  apply(obj: T): Promise<R>;
  /** Runs once the object is being deleted; the finalizer is removed only after it succeeds. Must be idempotent. */
  cleanup(obj: T): Promise<R>;
  signal?: AbortSignal;
}

/**
 * Runs `apply` or `cleanup` for `obj` and keeps the finalizer in step.
 * Returns the arm's result, or undefined when there was nothing to do (the
 * object is being deleted and our finalizer is already gone). Errors from
 * the patches and the arms propagate: the reconcile retries.
 */
export async function finalizer<T extends KubernetesObject, R>(
  obj: T,
  options: FinalizerOptions<T, R>,
): Promise<R | undefined> {
  const target = splitKey(keyOf(obj));
  const patchOptions = { signal: options.signal };
  if (obj.metadata?.deletionTimestamp) {
    const remove = removeFinalizerPatch(obj, options.name);
    if (!remove) return undefined;
    const result = await options.cleanup(obj);
    await options.client.jsonPatch(target, remove, patchOptions);
    return result;
  }
  const add = addFinalizerPatch(obj, options.name);
  // Apply the object the patch returned: it is the current state, finalizer included.
  const current = add ? await options.client.jsonPatch(target, add, patchOptions) : obj;
  return options.apply(current);
}
