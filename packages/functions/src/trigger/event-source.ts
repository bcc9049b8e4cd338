/**
 * The event stream of one watch (one resource, one namespace or all, the
 * trigger's selectors), on the runtime's list-watch contract
 * (`ListerWatcher`, served by `ResourceClient`).
 *
 * Why not the runtime's `Informer`: an informer is a cache for level-triggered
 * reconciles; it always starts with a full list and hides bookmarks and
 * resourceVersions from its handlers. A trigger is edge-triggered and must
 * resume from a stored resourceVersion, so this runs on the same engine as
 * the informer, @cnpaas/kube's `runWatcher` (capped exponential backoff with
 * equal jitter, relist on 410 Gone, a watch that ends at once counts as a
 * failure, a random 5–10 min server-side timeout) and hands out its events,
 * in order, with their resourceVersions:
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
  keyOf,
  type ListerWatcher,
  type Logger,
  realClock,
  runWatcher,
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

export class WatchSource<T extends KubernetesObject = KubernetesObject> {
  readonly #o: WatchSourceOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #known = new Map<string, T>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #rv: string | undefined;
  /** A list happened before (or the stream resumed): the next list is a relist after 410 Gone. */
  #relist: boolean;
  /** A failure was reported and no success since. */
  #unhealthy = false;

  constructor(options: WatchSourceOptions<T>) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#rv = options.resumeFrom || undefined;
    this.#relist = this.#rv !== undefined;
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
    await this.#loop;
  }

  backoffDelay(failures: number): number {
    const baseMs = this.#o.backoff?.initialMs ?? DEFAULT_WATCH_BACKOFF.baseMs;
    const maxMs = this.#o.backoff?.maxMs ?? DEFAULT_WATCH_BACKOFF.maxMs;
    return backoff({ baseMs, maxMs, jitter: 0.5, random: this.#random })(failures);
  }

  /** @cnpaas/kube's watcher engine does the list/watch/backoff/410 loop; this turns its events into the trigger's. */
  async #run(): Promise<void> {
    const { sink, log, capacity } = this.#o;
    await runWatcher(
      this.#o.listerWatcher,
      {
        resourceVersion: this.#rv,
        signal: this.#stop.signal,
        clock: this.#clock,
        log,
        backoff: {
          baseMs: this.#o.backoff?.initialMs ?? DEFAULT_WATCH_BACKOFF.baseMs,
          maxMs: this.#o.backoff?.maxMs ?? DEFAULT_WATCH_BACKOFF.maxMs,
          random: this.#random,
        },
        watchTimeoutSeconds: this.#o.watchTimeoutSeconds,
        bookmarks: true,
        ...(capacity
          ? {
              beforeWatch: async (signal: AbortSignal) => {
                if (capacity.full()) await capacity.wait(signal);
              },
            }
          : {}),
        onSuccess: () => this.#healthy(),
        onFailure: (error, failures) => {
          this.#unhealthy = true;
          sink.health({ ok: false, error, failures });
        },
      },
      (event) => {
        if (event.type === 'Restarted') {
          this.#list(event.objects, event.resourceVersion);
          return undefined;
        }
        const rv = event.object?.metadata?.resourceVersion;
        if (event.type === 'BOOKMARK') {
          if (rv) {
            this.#rv = rv;
            sink.checkpoint(rv);
          }
        } else {
          const key = keyOf(event.object);
          if (this.#o.trackDeletes) {
            if (event.type === 'DELETED') this.#known.delete(key);
            else this.#known.set(key, event.object);
          }
          if (rv) this.#rv = rv;
          sink.event({ type: event.type, object: event.object, resourceVersion: rv, synthetic: false });
        }
        // Backpressure: close the watch after this event; it reopens from #rv once the backlog drained.
        return capacity?.full() ? 'pause' : undefined;
      },
    );
  }

  #healthy(): void {
    if (!this.#unhealthy) return;
    this.#unhealthy = false;
    this.#o.sink.health({ ok: true });
  }

  /** A first list (initial events only with `sendInitialEvents`) or a relist after 410 Gone (always, plus deletes). */
  #list(items: T[], rv: string): void {
    const relist = this.#relist;
    this.#relist = true;
    if (relist) {
      this.#o.log.warn(
        { resourceVersion: this.#rv },
        'resume point compacted away (410 Gone); relisting and delivering the current objects as synthetic events',
      );
    }
    const emit = relist || this.#o.sendInitialEvents;
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      if (this.#o.trackDeletes) this.#known.set(key, item);
      if (emit) this.#o.sink.event({ type: 'ADDED', object: item, resourceVersion: undefined, synthetic: true });
    }
    if (relist && this.#o.trackDeletes) {
      for (const [key, obj] of [...this.#known]) {
        if (seen.has(key)) continue;
        this.#known.delete(key);
        this.#o.sink.event({ type: 'DELETED', object: obj, resourceVersion: undefined, synthetic: true });
      }
    }
    // The watcher retries a throw here like a failed list.
    if (!rv) throw new Error('the list answer carries no resourceVersion');
    this.#rv = rv;
    this.#o.sink.checkpoint(rv);
    this.#o.log.debug({ items: items.length, resourceVersion: rv, emitted: emit }, 'listed');
  }
}
