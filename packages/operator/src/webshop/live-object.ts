import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger, Reconciler, ReconcileResult } from '@cnpaas/kube';

type Step<T> = (object: T, log: Logger) => Promise<ReconcileResult | void>;

/**
 * A reconciler for objects that exist: `apply` to a live object, `finalize`
 * to one being deleted (left to whoever deletes it where there is no
 * finalize step). An object already gone needs nothing from us.
 */
export function liveObjectReconciler<T extends KubernetesObject>(steps: {
  apply: Step<T>;
  finalize?: Step<T>;
}): Reconciler<T> {
  return {
    async reconcile(_key, { object, log }) {
      if (!object) return;
      if (object.metadata?.deletionTimestamp) return steps.finalize?.(object, log);
      return steps.apply(object, log);
    },
  };
}
