/**
 * The event stream of one watch (one resource, one namespace or all, the
 * trigger's selectors), on the runtime's list-watch contract
 * (`ListerWatcher`, served by `ResourceClient`).
 *
 * Why not the runtime's `Informer`: an informer is a cache for level-triggered
 * reconciles; it always starts with a full list and hides bookmarks and
 * resourceVersions from its handlers. A trigger is edge-triggered and must
 * resume from a stored resourceVersion, so this keeps the informer's
 * failure handling (capped exponential backoff with equal jitter, relist on
 * 410 Gone, a watch that ends at once counts as a failure, a random 5–10 min
 * server-side timeout) and hands out events, in order, with their
 * resourceVersions:
 *
 * - **Resume** (`resumeFrom` set): watch from it, no list.
 * - **First start** (no resume point): list; with `sendInitialEvents` each
 *   existing object is an ADDED event (`synthetic`); then a checkpoint at
 *   the list's resourceVersion and a watch from there.
 * - **410 Gone** (the resume point was compacted): list again and hand out
 *   every current object as a synthetic ADDED event, then a checkpoint at the
 *   list's resourceVersion. With `trackDeletes`, objects this stream knew
 *   and the list lacks become synthetic DELETED events. What was created
 *   and deleted while the stream was gone cannot be recovered: the API no
 *   longer has it.
 * - **BOOKMARK** events become checkpoints, so the resume point moves on even
 *   while nothing matches.
 * - **Backpressure**: when `capacity.full()`, the watch is closed after the
 *   current event and reopened from the last resourceVersion handed out once
 *   the backlog has drained.
 *
 * Synthetic events carry no resourceVersion of their own (objects of a list
 * come in no order); only the checkpoint after them may become a resume point.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  backoff,
  type Clock,
  DEFAULT_WATCH_BACKOFF,
  errorMessage,
  isGone,
  keyOf,
  type ListerWatcher,
  type Logger,
  realClock,
  sleep,
  type WatchHandle,
} from '@cnpaas/kube';
import type { EventType } from './types.js';

export interface SourceEvent<T extends KubernetesObject = KubernetesObject> {
  type: EventType;
  object: T;
  /** The event's resourceVersion; undefined for synthetic events. */
  resourceVersion: string | undefined;
  /** From a list (first start, or a relist after 410), not from the watch. */
  synthetic: boolean;
}

export interface SourceSink<T extends KubernetesObject = KubernetesObject> {
  event(event: SourceEvent<T>): void;
  /** Everything before this point has been handed out; nothing to deliver here. */
  checkpoint(resourceVersion: string): void;
  /** The list/watch works again, or failed (403 from RBAC, apiserver down). */
  health(state: { ok: true } | { ok: false; error: unknown; failures: number }): void;
}

export interface WatchSourceOptions<T extends KubernetesObject> {
  listerWatcher: ListerWatcher<T>;
  sink: SourceSink<T>;
  resumeFrom?: string | undefined;
  sendInitialEvents: boolean;
  trackDeletes: boolean;
  capacity?: { full(): boolean; wait(signal: AbortSignal): Promise<void> };
  clock?: Clock;
  log: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  watchTimeoutSeconds?: number;
  random?: () => number;
}

const MIN_HEALTHY_WATCH_MS = 1000;

export class WatchSource<T extends KubernetesObject = KubernetesObject> {
  readonly #o: WatchSourceOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #known = new Map<string, T>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #watch: WatchHandle | undefined;
  #rv: string | undefined;
  /** A failure was reported and no success since. */
  #unhealthy = false;

  constructor(options: WatchSourceOptions<T>) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#rv = options.resumeFrom || undefined;
  }

  /** The last resourceVersion handed out (event or checkpoint). */
  resourceVersion(): string | undefined {
    return this.#rv;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#watch?.abort();
    await this.#loop;
  }

  backoffDelay(failures: number): number {
    const baseMs = this.#o.backoff?.initialMs ?? DEFAULT_WATCH_BACKOFF.baseMs;
    const maxMs = this.#o.backoff?.maxMs ?? DEFAULT_WATCH_BACKOFF.maxMs;
    return backoff({ baseMs, maxMs, jitter: 0.5, random: this.#random })(failures);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const { sink, log } = this.#o;
    let relist = this.#rv !== undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.#rv === undefined) {
          await this.#list(relist || this.#o.sendInitialEvents, relist);
          relist = true;
          failures = 0;
          this.#healthy();
        }
        if (signal.aborted) break;
        if (this.#o.capacity?.full()) await this.#o.capacity.wait(signal);
        if (signal.aborted) break;
        const { events, durationMs, paused } = await this.#watchOnce();
        if (paused || events > 0 || durationMs >= MIN_HEALTHY_WATCH_MS) {
          this.#healthy();
          failures = 0;
          continue;
        }
        failures++;
        log.warn({ durationMs }, 'watch ended at once without events; backing off');
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          log.warn(
            { resourceVersion: this.#rv },
            'resume point compacted away (410 Gone); relisting and delivering the current objects as synthetic events',
          );
          this.#rv = undefined;
          relist = true;
          continue;
        }
        failures++;
        log.warn({ err: errorMessage(err), failures }, 'list/watch failed; retrying after backoff');
        this.#unhealthy = true;
        sink.health({ ok: false, error: err, failures });
      }
      await sleep(this.#clock, this.backoffDelay(failures), { signal });
    }
  }

  #healthy(): void {
    if (!this.#unhealthy) return;
    this.#unhealthy = false;
    this.#o.sink.health({ ok: true });
  }

  async #list(emit: boolean, synthesizeDeletes: boolean): Promise<void> {
    const list = await this.#o.listerWatcher.list({ signal: this.#stop.signal });
    if (this.#stop.signal.aborted) return;
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      seen.add(key);
      if (this.#o.trackDeletes) this.#known.set(key, item);
      if (emit) this.#o.sink.event({ type: 'ADDED', object: item, resourceVersion: undefined, synthetic: true });
    }
    if (synthesizeDeletes && this.#o.trackDeletes) {
      for (const [key, obj] of [...this.#known]) {
        if (seen.has(key)) continue;
        this.#known.delete(key);
        this.#o.sink.event({ type: 'DELETED', object: obj, resourceVersion: undefined, synthetic: true });
      }
    }
    const rv = list.metadata?.resourceVersion;
    if (!rv) throw new Error('the list answer carries no resourceVersion');
    this.#rv = rv;
    this.#o.sink.checkpoint(rv);
    this.#o.log.debug({ items: list.items.length, resourceVersion: rv, emitted: emit }, 'listed');
  }

  async #watchOnce(): Promise<{ events: number; durationMs: number; paused: boolean }> {
    const started = this.#clock.now();
    const timeoutSeconds = this.#o.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.#random()));
    let events = 0;
    let paused = false;
    // Declared before the call: the callback may run before watch() returns, and must then
    // see `undefined` rather than hit the temporal dead zone of a const.
    let handle: WatchHandle | undefined;
    // eslint-disable-next-line prefer-const -- see above
    handle = this.#o.listerWatcher.watch(
      { resourceVersion: this.#rv!, timeoutSeconds, allowWatchBookmarks: true },
      (event) => {
        // After a pause the stream may still flush buffered lines: they are re-read from #rv later.
        if (paused || this.#stop.signal.aborted) return;
        // An event proves the watch works again (a quiet watch proves it when it ends normally).
        if (events++ === 0) this.#healthy();
        const rv = event.object?.metadata?.resourceVersion;
        if (event.type === 'BOOKMARK') {
          if (rv) {
            this.#rv = rv;
            this.#o.sink.checkpoint(rv);
          }
        } else {
          const key = keyOf(event.object);
          if (this.#o.trackDeletes) {
            if (event.type === 'DELETED') this.#known.delete(key);
            else this.#known.set(key, event.object);
          }
          if (rv) this.#rv = rv;
          this.#o.sink.event({ type: event.type, object: event.object, resourceVersion: rv, synthetic: false });
        }
        if (this.#o.capacity?.full()) {
          paused = true;
          handle?.abort();
        }
      },
    );
    this.#watch = handle;
    try {
      await handle.done;
    } finally {
      this.#watch = undefined;
    }
    return { events, durationMs: this.#clock.now() - started, paused };
  }
}
