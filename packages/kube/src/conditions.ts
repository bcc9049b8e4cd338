/**
 * `metav1.Condition` helpers, with apimachinery's `meta.SetStatusCondition`
 * rules: `lastTransitionTime` moves only when `status` flips, and every
 * setter reports whether anything changed, so a reconciler writes status
 * only when it must. (Writing an unchanged status still bumps the
 * resourceVersion, wakes every watcher, and re-triggers this very controller:
 * a hot loop.)
 */
import { rfc3339 } from './timestamps.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition, with lastTransitionTime as the RFC 3339 string the API uses. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, machine-readable. */
  reason: string;
  message: string;
  /** The metadata.generation this condition was computed from. */
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export interface SetConditionOptions {
  /** The transition time to record if status flips. Default: now. */
  now?: Date;
}

export interface ConditionsUpdate {
  conditions: Condition[];
  changed: boolean;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/**
 * Returns `conditions` with `next` set (never mutating the input). A new type
 * is appended; an existing one keeps its position. `lastTransitionTime` is
 * kept unless `status` changed. `changed` is false when the result equals the
 * input.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  options: SetConditionOptions = {},
): ConditionsUpdate {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const old = index >= 0 ? list[index] : undefined;
  if (!old) {
    list.push({ ...next, lastTransitionTime: rfc3339(options.now ?? new Date()) });
    return { conditions: list, changed: true };
  }
  const lastTransitionTime = old.status === next.status ? old.lastTransitionTime : rfc3339(options.now ?? new Date());
  const updated: Condition = { ...next, lastTransitionTime };
  if (updated.observedGeneration === undefined) delete updated.observedGeneration;
  const changed =
    old.status !== updated.status ||
    old.reason !== updated.reason ||
    old.message !== updated.message ||
    old.observedGeneration !== updated.observedGeneration ||
    old.lastTransitionTime !== updated.lastTransitionTime;
  list[index] = changed ? updated : old;
  return { conditions: list, changed };
}

/** Returns `conditions` without `type`; `changed` says whether it was there. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): ConditionsUpdate {
  const list = (conditions ?? []).filter((c) => c.type !== type);
  return { conditions: list, changed: list.length !== (conditions?.length ?? 0) };
}
