/**
 * An informer: list, then watch from the list's resourceVersion, keeping an
 * in-memory `Store` current and telling handlers about adds, updates and
 * deletes. It does what client-go's reflector does and client-node 1.4.0's
 * `ListWatch` does not:
 *
 * - any failure (network, 5xx, 403, a failed list) restarts the loop after a
 *   capped exponential backoff with jitter, instead of stopping for good;
 * - 410 Gone (the resourceVersion was compacted) relists at once; a relist
 *   emits deletes for objects that vanished meanwhile;
 * - a watch that ends normally (server-side timeout) resumes from the last
 *   resourceVersion without relisting;
 * - `timeoutSeconds` (random 5–10 min, like client-go) plus the transport's
 *   idle timeout bound how long a silently dead connection can go unnoticed;
 * - every `resyncPeriodMs` each cached object is re-delivered as an update,
 *   so level-triggered controllers re-check everything now and then.
 *
 * Handlers run synchronously on the informer's loop: they should only enqueue
 * keys. A throwing handler is logged and does not disturb the informer.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { errorMessage, isGone } from './errors.js';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import { keyOf, type ObjectKey } from './keys.js';
import type { ListerWatcher, WatchEvent, WatchHandle } from './list-watch.js';
import { defaultLogger, type Logger } from './logger.js';
import type { ResourceRef } from './resource.js';
import { Store } from './store.js';

export interface EventHandler<T extends KubernetesObject> {
  onAdd?(obj: T): void;
  /** Also called on resync with `oldObj === newObj`. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state known: from the DELETED event, or the cache when a relist found it gone. */
  onDelete?(obj: T): void;
}

export interface BackoffOptions {
  /** First delay. Default 800 ms (client-go's reflector). */
  initialMs?: number;
  /** Cap. Default 30 s. */
  maxMs?: number;
}

export interface InformerOptions<T extends KubernetesObject> {
  resource: ResourceRef;
  listerWatcher: ListerWatcher<T>;
  clock?: Clock;
  log?: Logger;
  /** Re-deliver every cached object this often; 0 turns it off. Default 10 min. */
  resyncPeriodMs?: number;
  /** Server-side watch timeout. Default: random between 5 and 10 min per watch. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  /** Source of jitter in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** A watch that ends this fast with no event is treated like a failure (backoff), not a normal end. */
const MIN_HEALTHY_WATCH_MS = 1000;

export class Informer<T extends KubernetesObject = KubernetesObject> {
  readonly resource: ResourceRef;
  readonly store = new Store<T>();
  readonly #lw: ListerWatcher<T>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #resyncMs: number;
  readonly #watchTimeoutSeconds: number | undefined;
  readonly #backoffInitial: number;
  readonly #backoffMax: number;
  readonly #random: () => number;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #syncWaiters = new Set<(synced: boolean) => void>();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #watch: WatchHandle | undefined;
  #resyncTimer: TimerHandle | undefined;
  #rv = '';
  #synced = false;

  constructor(options: InformerOptions<T>) {
    this.resource = options.resource;
    this.#lw = options.listerWatcher;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? defaultLogger()).child({ informer: options.resource.plural });
    this.#resyncMs = options.resyncPeriodMs ?? 10 * 60_000;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds;
    this.#backoffInitial = options.backoff?.initialMs ?? 800;
    this.#backoffMax = options.backoff?.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Registers handlers; returns a function that removes them. Handlers added
   * after objects were cached first get an `onAdd` for each, so every handler
   * sees the same world no matter when it joined (client-go does the same).
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    for (const obj of this.store.list()) this.#call(() => handler.onAdd?.(obj));
    return () => this.#handlers.delete(handler);
  }

  /** Starts listing and watching in the background. Idempotent while running. */
  start(): void {
    if (this.#loop) return;
    if (this.#stop.signal.aborted) this.#stop = new AbortController();
    this.#loop = this.#run();
  }

  /** True once the first list has been applied to the store and handlers. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true when synced, false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (synced: boolean): void => {
        this.#syncWaiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      const onAbort = (): void => done(false);
      this.#syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The resourceVersion the informer has seen up to. */
  lastSyncResourceVersion(): string {
    return this.#rv;
  }

  /** Stops watching; the store keeps its contents. Resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#watch?.abort();
    if (this.#resyncTimer) this.#clock.clearTimeout(this.#resyncTimer);
    this.#resyncTimer = undefined;
    for (const waiter of [...this.#syncWaiters]) waiter(false);
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.#rv) await this.#relist(signal);
        if (signal.aborted) break;
        const { events, durationMs } = await this.#watchOnce();
        if (events > 0 || durationMs >= MIN_HEALTHY_WATCH_MS) {
          failures = 0;
          continue;
        }
        failures++;
        this.#log.warn({ durationMs }, 'watch ended at once without events; backing off');
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // Compacted past our resourceVersion: only a fresh list can catch up.
          this.#log.info({ resourceVersion: this.#rv }, 'resourceVersion too old (410 Gone); relisting');
          this.#rv = '';
          continue;
        }
        failures++;
        this.#log.warn({ err: errorMessage(err), failures }, 'list/watch failed; retrying after backoff');
      }
      await sleep(this.#clock, this.backoffDelay(failures), { signal });
    }
  }

  /**
   * The wait after `failures` consecutive failures: min(max, initial·2^(n-1)),
   * then "equal jitter" (half fixed, half random) so that many informers
   * failing together (the apiserver restarted) do not retry in lockstep.
   */
  backoffDelay(failures: number): number {
    const capped = Math.min(this.#backoffMax, this.#backoffInitial * 2 ** Math.max(0, failures - 1));
    return capped / 2 + (capped / 2) * this.#random();
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const list = await this.#lw.list({ signal });
    if (signal.aborted) return;
    const seen = new Set<ObjectKey>();
    for (const item of list.items) {
      seen.add(keyOf(item));
      this.#upsert(item);
    }
    for (const obj of this.store.list()) {
      const key = keyOf(obj);
      if (!seen.has(key)) {
        this.store.delete(key);
        this.#emit((h) => h.onDelete?.(obj));
      }
    }
    this.#rv = list.metadata?.resourceVersion ?? '';
    this.#log.debug({ items: list.items.length, resourceVersion: this.#rv }, 'listed');
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of [...this.#syncWaiters]) waiter(true);
      this.#scheduleResync();
    }
  }

  async #watchOnce(): Promise<{ events: number; durationMs: number }> {
    const started = this.#clock.now();
    let events = 0;
    const timeoutSeconds = this.#watchTimeoutSeconds ?? Math.floor(300 * (1 + this.#random()));
    const handle = this.#lw.watch({ resourceVersion: this.#rv, timeoutSeconds, allowWatchBookmarks: true }, (event) => {
      events++;
      this.#onWatchEvent(event);
    });
    this.#watch = handle;
    try {
      await handle.done;
    } finally {
      this.#watch = undefined;
    }
    return { events, durationMs: this.#clock.now() - started };
  }

  #onWatchEvent(event: WatchEvent<T>): void {
    if (this.#stop.signal.aborted) return;
    const obj = event.object;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#upsert(obj);
        break;
      case 'DELETED':
        if (this.store.delete(keyOf(obj))) this.#emit((h) => h.onDelete?.(obj));
        break;
      case 'BOOKMARK':
        break;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#rv = rv;
  }

  #upsert(obj: T): void {
    const old = this.store.upsert(obj);
    if (!old) this.#emit((h) => h.onAdd?.(obj));
    // Same resourceVersion: a relist re-delivering what the watch already showed.
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emit((h) => h.onUpdate?.(old, obj));
  }

  #scheduleResync(): void {
    if (this.#resyncMs <= 0 || this.#stop.signal.aborted) return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      for (const obj of this.store.list()) this.#emit((h) => h.onUpdate?.(obj, obj));
      this.#scheduleResync();
    }, this.#resyncMs);
  }

  #emit(fn: (handler: EventHandler<T>) => void): void {
    for (const handler of this.#handlers) this.#call(() => fn(handler));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'event handler threw');
    }
  }
}
