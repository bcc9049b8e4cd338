/**
 * A work queue with client-go's guarantees, driving its own bounded pool of
 * workers:
 *
 * - a key is never processed by two workers at once (the `processing` set);
 * - adding a key that is already waiting does nothing, and adding a key that
 *   is being processed marks it `dirty` so it runs once more afterwards
 *   (N events during one reconcile collapse into one re-run);
 * - `addAfter` waits on the injected clock; a key waiting for several delays
 *   keeps only the earliest;
 * - `addRateLimited` asks the rate limiter how long this key must wait
 *   (per-key exponential backoff, global token bucket); `forget` resets it.
 *
 * Keys are processed in FIFO order. Unlike client-go the queue calls the
 * processor itself (`concurrency` workers), so callers cannot forget `done()`.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** Processes one key. Must handle its own errors; a rejection is retried rate-limited. */
export type ProcessFn<K> = (key: K, signal: AbortSignal) => Promise<void>;

export interface WorkQueueOptions<K> {
  process: ProcessFn<K>;
  /** Workers running at once. Default 1. */
  concurrency?: number;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  /** Called when `process` rejects (it should not); the key is then retried rate-limited. */
  onProcessError?: (key: K, err: unknown) => void;
}

export class WorkQueue<K> {
  readonly #process: ProcessFn<K>;
  readonly #concurrency: number;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter<K>;
  readonly #onProcessError: ((key: K, err: unknown) => void) | undefined;

  /** Keys ready to run, in order. Invariant: every key here is also in #dirty. */
  readonly #queue: K[] = [];
  /** Keys that need processing (queued, or to re-run after their current run). */
  readonly #dirty = new Set<K>();
  /** Keys a worker is running now. */
  readonly #processing = new Set<K>();
  /** Keys waiting on a timer (addAfter), with their due time. */
  readonly #waiting = new Map<K, { due: number; timer: TimerHandle }>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #started = false;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions<K>) {
    this.#process = options.process;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#clock = options.clock ?? realClock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>({ clock: this.#clock });
    this.#onProcessError = options.onProcessError;
  }

  /**
   * Starts the workers. Keys added before `start` wait; controllers add while
   * their caches fill and start once the caches have synced.
   */
  start(): void {
    if (this.#started || this.#shuttingDown) return;
    this.#started = true;
    this.#pump();
  }

  /** Queues `key` unless it is already queued; a key being processed runs once more afterwards. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#pump();
  }

  /** Queues `key` after `ms`. If it already waits for an earlier time, that time wins. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const due = this.#clock.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing) {
      if (existing.due <= due) return;
      this.#clock.clearTimeout(existing.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { due, timer });
  }

  /** Queues `key` after the rate limiter's delay for it: use after a failed attempt. */
  addRateLimited(key: K): void {
    if (this.#shuttingDown) return;
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Ends `key`'s backoff: use after a successful attempt. */
  forget(key: K): void {
    this.#limiter.forget(key);
  }

  /** Failed attempts of `key` since its last `forget`. */
  numRequeues(key: K): number {
    return this.#limiter.numRequeues(key);
  }

  /** Keys ready to run and not yet picked up by a worker. */
  len(): number {
    return this.#queue.length;
  }

  /** Keys being processed right now. */
  activeCount(): number {
    return this.#processing.size;
  }

  /** Keys waiting on a delay (addAfter / addRateLimited). */
  waitingCount(): number {
    return this.#waiting.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops the queue: new adds are ignored, delayed adds are cancelled, keys
   * not yet started are dropped, and the returned promise resolves once every
   * running `process` call has finished. The signal passed to `process`
   * aborts, so long reconciles can stop early.
   *
   * Dropping queued keys is safe because reconcilers are level-triggered: the
   * next process (or the next leader) lists everything again.
   */
  async shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const { timer } of this.#waiting.values()) this.#clock.clearTimeout(timer);
      this.#waiting.clear();
      this.#queue.length = 0;
      this.#dirty.clear();
      this.#abort.abort();
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #pump(): void {
    while (
      this.#started &&
      !this.#shuttingDown &&
      this.#processing.size < this.#concurrency &&
      this.#queue.length > 0
    ) {
      const key = this.#queue.shift() as K;
      this.#dirty.delete(key);
      this.#processing.add(key);
      const run = this.#run(key);
      this.#inFlight.add(run);
      void run.finally(() => this.#inFlight.delete(run));
    }
  }

  async #run(key: K): Promise<void> {
    try {
      await this.#process(key, this.#abort.signal);
    } catch (err) {
      this.#onProcessError?.(key, err);
      this.addRateLimited(key);
    } finally {
      this.#processing.delete(key);
      // Adds that arrived while the key ran left it dirty but unqueued: queue it now.
      if (this.#dirty.has(key)) this.#queue.push(key);
      this.#pump();
    }
  }
}
