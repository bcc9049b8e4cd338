/**
 * An informer: `watcher()` plus a `Store`, keeping the store current and
 * telling handlers about adds, updates and deletes. It does what client-go's
 * reflector does and client-node 1.4.0's `ListWatch` does not; the
 * list/watch recovery (backoff with jitter on any failure, relist on 410
 * Gone, resume after a normal end, no hot loop on empty watches, random
 * 5–10 min `timeoutSeconds`) is `watcher()`'s, and on top of it:
 *
 * - a relist (`Restarted`) emits deletes for objects that vanished
 *   meanwhile, adds for new ones and updates for changed ones;
 * - every `resyncPeriodMs` each cached object is re-delivered as an update,
 *   so level-triggered controllers re-check everything now and then.
 *
 * Handlers run synchronously on the informer's loop: they should only enqueue
 * keys. A throwing handler is logged and does not disturb the informer.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { backoff, type Backoff } from './backoff.js';
import { errorMessage } from './errors.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { keyOf, type ObjectKey } from './keys.js';
import type { ListerWatcher, WatchEvent } from './list-watch.js';
import { defaultLogger, type Logger } from './logger.js';
import type { ResourceRef } from './resource.js';
import { Store } from './store.js';
import { DEFAULT_WATCH_BACKOFF, runWatcher } from './watcher.js';

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
  readonly #backoff: Backoff;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #syncWaiters = new Set<(synced: boolean) => void>();
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
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
    this.#backoffInitial = options.backoff?.initialMs ?? DEFAULT_WATCH_BACKOFF.baseMs;
    this.#backoffMax = options.backoff?.maxMs ?? DEFAULT_WATCH_BACKOFF.maxMs;
    this.#random = options.random ?? Math.random;
    this.#backoff = backoff({
      ...DEFAULT_WATCH_BACKOFF,
      baseMs: this.#backoffInitial,
      maxMs: this.#backoffMax,
      random: this.#random,
    });
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
    if (this.#resyncTimer) this.#clock.clearTimeout(this.#resyncTimer);
    this.#resyncTimer = undefined;
    for (const waiter of [...this.#syncWaiters]) waiter(false);
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(): Promise<void> {
    // runWatcher, not the iterator: handlers and the store see each event synchronously, as it arrives.
    await runWatcher(
      this.#lw,
      {
        signal: this.#stop.signal,
        clock: this.#clock,
        log: this.#log,
        backoff: { baseMs: this.#backoffInitial, maxMs: this.#backoffMax, random: this.#random },
        watchTimeoutSeconds: this.#watchTimeoutSeconds,
        bookmarks: true,
      },
      (event) => {
        if (event.type === 'Restarted') this.#replace(event.objects, event.resourceVersion);
        else this.#onWatchEvent(event);
      },
    );
  }

  /**
   * The wait after `failures` consecutive failures: min(max, initial·2^(n-1)),
   * then "equal jitter" (half fixed, half random) so that many informers
   * failing together (the apiserver restarted) do not retry in lockstep.
   */
  backoffDelay(failures: number): number {
    return this.#backoff(failures);
  }

  /** A (re)list: the store becomes exactly `items`. */
  #replace(items: T[], resourceVersion: string): void {
    const seen = new Set<ObjectKey>();
    for (const item of items) {
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
    this.#rv = resourceVersion;
    this.#log.debug({ items: items.length, resourceVersion }, 'listed');
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of [...this.#syncWaiters]) waiter(true);
      this.#scheduleResync();
    }
  }

  #onWatchEvent(event: WatchEvent<T>): void {
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
