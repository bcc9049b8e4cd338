/**
 * "Make sure this child exists, and is ours": the one step every controller
 * repeats. Idempotent by construction:
 *
 *   GET → missing: CREATE → AlreadyExists (someone, maybe our previous run,
 *   was faster): GET again → is it ours? yes: carry on / no: conflict.
 *
 * The GET is skipped for a child that is most likely new (`expect`), since a
 * create that finds it taken is answered AlreadyExists just the same.
 *
 * "Ours" is decided by the caller (the registration-uid label, or a
 * controller ownerReference), and an object that is not ours is never
 * adopted, changed or deleted: the caller reports a NameConflict.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  isConflict,
  isControlledBy,
  type EventRecorder,
  type Logger,
  type ReconcileResult,
} from '@cnpaas/kube';
import { getOrUndefined, type ObjectApi } from './kube-api.js';
import type { WebshopMetrics } from './metrics.js';
import { MANAGED_BY_LABEL, NAME_CONFLICT_REQUEUE_MS, OPERATOR_NAME, REGISTRATION_UID_LABEL } from './names.js';
import { NAME_CONFLICT, READY, StatusUpdate, type WithStatus } from './status.js';

export type EnsureResult<T extends KubernetesObject> =
  | { outcome: 'created' | 'exists' | 'updated'; object: T }
  /** An object of that name exists and is not ours: left untouched. */
  | { outcome: 'conflict'; object: T };

export interface EnsureOptions<T extends KubernetesObject> {
  api: ObjectApi<T>;
  desired: T;
  isOurs(existing: T): boolean;
  /** For an existing object of ours: the corrected object if it drifted, else undefined. */
  repair?(existing: T): T | undefined;
  /**
   * What the caller knows about the child, which decides the first request:
   * - `absent`: it is most likely new (its owner was never reconciled before): create it straight away,
   *   unless the cache holds it (a copy there is evidence, the guess is not);
   * - `present`: an earlier reconcile made it (the owner's status says so): read it, from the cache or
   *   with a GET, even when a lagging cache does not hold it yet;
   * - undefined: the informer decides where there is one (a synced cache that lacks it: create first),
   *   else a GET.
   * A wrong guess costs one request more (AlreadyExists then a GET, or a 404 then a create), never a
   * wrong outcome.
   */
  expect?: 'absent' | 'present';
}

export async function ensureChild<T extends KubernetesObject>(options: EnsureOptions<T>): Promise<EnsureResult<T>> {
  const { api, desired } = options;
  const target = { namespace: desired.metadata?.namespace, name: desired.metadata?.name ?? '' };
  // A child that is most likely new is created straight away (one request, not a 404 and a create).
  const cached = api.cache?.get(target);
  const createFirst =
    !cached &&
    (options.expect === 'absent' || (options.expect === undefined && api.cache?.likelyAbsent(desired) === true));
  let existing = cached ?? (createFirst ? undefined : await getOrUndefined(api, target));
  if (!existing) {
    try {
      return { outcome: 'created', object: await api.create(desired) };
    } catch (err) {
      if (!isConflict(err)) throw err;
      existing = await api.get(target);
    }
  }
  if (!options.isOurs(existing)) return { outcome: 'conflict', object: existing };
  const repaired = options.repair?.(existing);
  if (!repaired) return { outcome: 'exists', object: existing };
  // The resourceVersion we read makes the PUT a compare-and-swap: a concurrent edit → 409 → retry.
  const replacement = {
    ...repaired,
    metadata: { ...repaired.metadata, resourceVersion: existing.metadata?.resourceVersion },
  };
  return { outcome: 'updated', object: await api.replace(replacement) };
}

/** Ours when it carries the registration's UID in the registration-uid label. */
export function labelledFor(uid: string): (obj: KubernetesObject) => boolean {
  return (obj) => obj.metadata?.labels?.[REGISTRATION_UID_LABEL] === uid;
}

/** Ours when `owner` is its controller (by UID, so a namesake owner does not count). */
export function controlledBy(owner: KubernetesObject): (obj: KubernetesObject) => boolean {
  return (obj) => isControlledBy(obj, owner);
}

/** "Tenant t-0123456789ab" / "User t-0123456789ab/t-0123456789ab", for conditions, events and logs. */
export function describeObject(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? 'object'} ${ns ? `${ns}/` : ''}${obj.metadata?.name ?? '?'}`;
}

/** The message of a NameConflict condition: what is in the way and how to clear it. Names only, never bodies. */
export function conflictMessage(obj: KubernetesObject, expected: string): string {
  return `${describeObject(obj)} exists and is not ${expected}; it was left untouched. Delete or rename it to let this finish`;
}

/**
 * The labels of every child the operator makes: managed by it and, when there is one, the
 * registration it belongs to (a child's children carry their parent's on).
 */
export function childLabels(registrationUid: string | undefined): Record<string, string> {
  return {
    ...(registrationUid ? { [REGISTRATION_UID_LABEL]: registrationUid } : {}),
    [MANAGED_BY_LABEL]: OPERATOR_NAME,
  };
}

/** What a controller reports a NameConflict on, and through what. */
export interface NameConflictReport<T extends WithStatus> {
  options: { events?: EventRecorder | undefined; metrics?: WebshopMetrics | undefined };
  /** The status of the object whose child is in the way: it says so, and the event is about that object. */
  status: StatusUpdate<T>;
  log: Logger;
  /** Whose the object should have been: `controlled by this Tenant`. */
  expected: string;
  /** The event's action, e.g. `CreateNamespace`. */
  action: string;
}

/**
 * An object in the way that is not ours: NameConflict=True and Ready=False on the status (the
 * metric, the Warning event and the log line only when that is news), then a look again later,
 * since nothing the controller watches says when the obstacle goes.
 */
export async function reportNameConflict<T extends WithStatus>(
  obj: KubernetesObject,
  report: NameConflictReport<T>,
): Promise<ReconcileResult> {
  const { status, options } = report;
  const message = conflictMessage(obj, report.expected);
  status.condition(NAME_CONFLICT, 'True', 'NameConflict', message).condition(READY, 'False', 'NameConflict', message);
  if (status.changed) {
    options.metrics?.nameConflicts.inc({ kind: obj.kind ?? 'unknown' });
    void options.events?.publish({
      regarding: status.object,
      type: 'Warning',
      reason: 'NameConflict',
      action: report.action,
      note: message,
    });
    report.log.warn({ conflict: describeObject(obj) }, 'name conflict; not adopting');
  }
  await status.write();
  return { requeueAfterMs: NAME_CONFLICT_REQUEUE_MS };
}

/** What a controller that makes an object's children opens each reconcile of that object with. */
export interface OwnerReconcile<T extends WithStatus> {
  /** `expect` for every ensureChild of this pass. */
  expect: EnsureOptions<T>['expect'];
  /** Collects the object's status, written once at the end. */
  status: StatusUpdate<T>;
}

/**
 * The opening of the Tenant and User controllers' reconciles. An object whose status we never wrote
 * (no observedGeneration) was never reconciled: its children most likely do not exist yet, so each is
 * created without a GET first. A pass that stopped half-way before its status write makes the next one
 * guess wrong, which costs one AlreadyExists and a GET per child made, never a wrong outcome.
 */
export function ownerReconcile<T extends WithStatus>(
  obj: T,
  options: { api: ObjectApi<T>; clock: Clock },
): OwnerReconcile<T> {
  return {
    expect: obj.status?.observedGeneration === undefined ? 'absent' : undefined,
    status: new StatusUpdate(obj, options),
  };
}
