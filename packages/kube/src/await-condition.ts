/**
 * `awaitCondition`: wait until one object satisfies a condition, the way
 * kube-runtime's `await_condition` does it: watch the object by name (from a
 * known resourceVersion, or after a GET), evaluate the condition on every
 * state seen, `undefined` meaning "it does not exist", and stop at the first
 * match. `isDeleted(uid)` is the condition for "this very object is gone".
 *
 * It runs on `watcher()`, so a dropped watch resumes from the last
 * resourceVersion and 410 Gone re-reads the object with a GET (a deleted
 * object reads as `undefined`, so a deletion that the compaction hid is
 * still noticed).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BackoffSpec } from './backoff.js';
import { realClock, type Clock } from './clock.js';
import { KubeError } from './errors.js';
import type { NamespacedName } from './keys.js';
import type { Logger } from './logger.js';
import type { ResourceClient } from './resource-client.js';
import { watcher } from './watcher.js';

/** What awaitCondition watches through: a `ResourceClient` (tests may pass an in-memory one). */
export type ObjectWatchSource<T extends KubernetesObject> = Pick<ResourceClient<T>, 'resource' | 'objectListerWatcher'>;

/** True when the object (undefined: it does not exist) is what we wait for. */
export type ObjectCondition<T extends KubernetesObject> = (object: T | undefined) => boolean;

export interface AwaitConditionOptions<T extends KubernetesObject> {
  /** Watch for changes after this resourceVersion (e.g. the create's): nothing in between is missed. Default: GET first. */
  fromResourceVersion?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Give up after this long with CNPAAS_KUBE_CONDITION_TIMEOUT. Default: wait until `signal` aborts. */
  timeoutMs?: number | undefined;
  clock?: Clock | undefined;
  log?: Logger | undefined;
  /** Retry delays after a failed watch; default the watcher's. */
  backoff?: Partial<BackoffSpec> | undefined;
  /** False ends the wait with `err` (e.g. 403: retrying will not help). Default: everything is retried. */
  retryable?: ((err: unknown) => boolean) | undefined;
  /** Every state seen, before the condition looks at it (progress reports, timeout messages). */
  onChange?: ((object: T | undefined) => void) | undefined;
}

/**
 * Resolves with the state that satisfied the condition: the object, the
 * DELETED event's object (its last state) when the deletion did it, or
 * `undefined` when a GET found it gone. Rejects with the signal's reason when
 * `signal` aborts, CNPAAS_KUBE_CONDITION_TIMEOUT after `timeoutMs`, or an
 * error `retryable` refused.
 */
export async function awaitCondition<T extends KubernetesObject>(
  client: ObjectWatchSource<T>,
  ref: NamespacedName,
  condition: ObjectCondition<T>,
  options: AwaitConditionOptions<T> = {},
): Promise<T | undefined> {
  const what = `${client.resource.plural} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  const clock = options.clock ?? realClock;
  const timeout = new AbortController();
  const { timeoutMs } = options;
  const timer =
    timeoutMs === undefined
      ? undefined
      : clock.setTimeout(() => timeout.abort(timeoutError(what, timeoutMs)), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const seen = (object: T | undefined): boolean => {
    options.onChange?.(object);
    return condition(object);
  };
  try {
    const events = watcher(client.objectListerWatcher(ref), {
      resourceVersion: options.fromResourceVersion,
      signal,
      clock,
      log: options.log,
      backoff: options.backoff,
      retryable: options.retryable,
      // Never beyond the deadline: a watch outliving it would only hold a connection.
      watchTimeoutSeconds: timeoutMs === undefined ? undefined : Math.max(1, Math.ceil(timeoutMs / 1000)),
    });
    for await (const event of events) {
      if (event.type === 'Restarted') {
        const object = event.objects.find((o) => o.metadata?.name === ref.name);
        if (seen(object)) return object;
      } else if (event.type === 'DELETED') {
        if (seen(undefined)) return event.object;
      } else if (event.type !== 'BOOKMARK') {
        if (seen(event.object)) return event.object;
      }
    }
    throw signal.reason ?? new Error(`waiting for ${what} was aborted`);
  } finally {
    if (timer) clock.clearTimeout(timer);
  }
}

/** The object with this uid is gone: no object, or one with another uid (the name was reused). */
export function isDeleted<T extends KubernetesObject>(uid: string | undefined): ObjectCondition<T> {
  return (object) => object === undefined || (uid !== undefined && object.metadata?.uid !== uid);
}

function timeoutError(what: string, timeoutMs: number): KubeError {
  return new KubeError('CNPAAS_KUBE_CONDITION_TIMEOUT', `${what} did not reach the condition within ${timeoutMs} ms`, {
    hint: 'check what the object reports (kubectl get -o yaml) and whether the controller that should act on it runs',
  });
}
