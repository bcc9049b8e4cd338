/**
 * Which updates of a primary object wake its controller (`wakeOnUpdate` of
 * @cnpaas/kube's Controller).
 *
 * Every reconcile that writes to its own object (the finalizer, the User's
 * password annotation, status) gets that write back as an update event, and
 * each such event would cost one more reconcile that finds nothing to do:
 * for a User, eight GETs of the children the operator does not watch. A write
 * of ours can be told from anyone else's by what changed, because these
 * fields are the operator's alone:
 *
 * - status, except the fields named in `statusKept` (a User's `verifiedAt`,
 *   which cnpaas-api-server records);
 * - our finalizer being added (removing it, or any other finalizer change,
 *   still wakes: the next reconcile puts it back);
 * - the password annotation being removed (the reconcile that sees it stores
 *   or refuses it and removes it itself; a removal by anyone else happens
 *   while such a reconcile is pending or retrying, and that one reads the
 *   cache as it is by then);
 * - resourceVersion and managedFields, which every write moves.
 *
 * Anything else (spec, labels, other annotations, deletionTimestamp) wakes
 * the controller as before, and the informer's resync still reconciles every
 * object.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';

export interface OwnWrites {
  /** Our finalizer: its addition needs no reconcile. */
  finalizer?: string;
  /** An annotation we remove once consumed: its removal needs no reconcile. */
  consumedAnnotation?: string;
  /** Status fields written by someone else: a change there wakes the controller. */
  statusKept?: readonly string[];
}

type Obj = KubernetesObject & { status?: object };

/** For `wakeOnUpdate`: false when `newObj` differs from `oldObj` only by writes this operator makes itself. */
export function changedBeyondOwnWrites(own: OwnWrites = {}): (oldObj: Obj, newObj: Obj) => boolean {
  return (oldObj, newObj) => {
    const a = oldObj.metadata ?? {};
    const b = newObj.metadata ?? {};
    if (!sameFinalizers(a.finalizers, b.finalizers, own.finalizer)) return true;
    if (!sameAnnotations(a.annotations, b.annotations, own.consumedAnnotation)) return true;
    const kept = (obj: Obj) =>
      (own.statusKept ?? []).map((f) => (obj.status as Record<string, unknown> | undefined)?.[f]);
    if (!isDeepStrictEqual(kept(oldObj), kept(newObj))) return true;
    const rest = (obj: Obj) => {
      const {
        resourceVersion: _rv,
        managedFields: _mf,
        finalizers: _f,
        annotations: _a,
        ...metadata
      } = obj.metadata ?? {};
      const { status: _status, metadata: _metadata, ...body } = obj;
      return { metadata, body };
    };
    return !isDeepStrictEqual(rest(oldObj), rest(newObj));
  };
}

/** Equal, or `after` is `before` with `ours` added. */
function sameFinalizers(before: string[] = [], after: string[] = [], ours: string | undefined): boolean {
  if (isDeepStrictEqual(before, after)) return true;
  return ours !== undefined && !before.includes(ours) && isDeepStrictEqual([...before, ours], after);
}

/** Equal, or `after` is `before` without `consumed`. */
function sameAnnotations(
  before: Record<string, string> = {},
  after: Record<string, string> = {},
  consumed: string | undefined,
): boolean {
  if (isDeepStrictEqual(before, after)) return true;
  if (consumed === undefined || !(consumed in before) || consumed in after) return false;
  const { [consumed]: _removed, ...rest } = before;
  return isDeepStrictEqual(rest, after);
}
