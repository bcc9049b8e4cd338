import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger, Reconciler, ReconcileResult } from '@cnpaas/kube';

/** One step of a controller over an object: its options, the object as cached, the reconcile's logger. */
export type ObjectStep<O, T> = (options: O, object: T, log: Logger) => Promise<ReconcileResult | void>;

/**
 * A reconciler for objects that exist: `apply` to a live object, `finalize`
 * to one being deleted (left to whoever deletes it where there is no
 * finalize step). An object already gone needs nothing from us.
 */
export function liveObjectReconciler<O, T extends KubernetesObject>(
  options: O,
  steps: { apply: ObjectStep<O, T>; finalize?: ObjectStep<O, T> },
): Reconciler<T> {
  return {
    async reconcile(_key, { object, log }) {
      if (!object) return;
      if (object.metadata?.deletionTimestamp) return steps.finalize?.(options, object, log);
      return steps.apply(options, object, log);
    },
  };
}
