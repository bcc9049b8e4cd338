/**
 * The delivery queue of one trigger: events in, HTTP attempts out.
 *
 * - **Per-object order.** Events carry a key (namespace/name of the watched
 *   object); one key has at most one event in flight or in backoff, and its
 *   later events wait behind it. Events of different keys run side by side.
 * - **Concurrency.** At most `concurrency` attempts are in flight at once. A
 *   key waiting out a backoff does not hold a slot.
 * - **Retries.** A failed attempt that may succeed later (transport error,
 *   timeout, 408/425/429/5xx) is retried after `initial·2^(n-1)` capped at
 *   `max`, with equal jitter; a `Retry-After` stretches the wait (up to
 *   `max`). After `1 + retries` attempts, or at once for a permanent
 *   failure, the event is given up: `onFinish` reports it as failed and the
 *   key moves on to its next event. Nothing blocks for good.
 * - **Coalescing** (opt-in): a new event for a key replaces that key's
 *   newest event that has not been attempted yet (reported as superseded).
 *   For targets that read the current state themselves, so only the newest
 *   state matters, this bounds the backlog per object to two events.
 *
 * Stopping drops queued events without finishing them: they were never
 * delivered, so progress does not pass them and a restart replays them.
 */
import { backoff, type Clock, realClock, type TimerHandle } from '@cnpaas/kube';
import { errorMessage } from '../errors.js';

export type AttemptResult =
  | { result: 'delivered'; status: number }
  | { result: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { result: 'permanent'; reason: string; status?: number };

export type Finish =
  | { outcome: 'delivered'; attempts: number }
  | { outcome: 'failed'; attempts: number; reason: string }
  | { outcome: 'superseded' };

export interface DeliveryQueueOptions<E> {
  /** One HTTP attempt; must honour `signal`. A rejection counts as a retryable failure. */
  attempt(event: E, attempt: number, signal: AbortSignal): Promise<AttemptResult>;
  /** Each event finishes exactly once, unless the queue stops first. */
  onFinish(event: E, finish: Finish): void;
  /** After every attempt (logs, metrics). */
  onAttempt?(event: E, attempt: number, result: AttemptResult, willRetry: boolean): void;
  concurrency: number;
  retries: number;
  backoff: { initialMs: number; maxMs: number };
  coalesce?: boolean;
  clock?: Clock;
  /** Jitter source in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

interface Entry<E> {
  event: E;
  attempts: number;
}

export class DeliveryQueue<E> {
  readonly #o: DeliveryQueueOptions<E>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #lanes = new Map<string, Entry<E>[]>();
  /** Keys whose head may run now, in order. */
  readonly #ready: string[] = [];
  readonly #active = new Set<string>();
  readonly #waiting = new Map<string, TimerHandle>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #idleWaiters = new Set<() => void>();
  #size = 0;
  #stopped = false;

  constructor(options: DeliveryQueueOptions<E>) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
  }

  /** Events queued, in backoff or in flight. */
  get size(): number {
    return this.#size;
  }

  /** Attempts in flight now. */
  get active(): number {
    return this.#active.size;
  }

  /** Adds an event for `key`; false once stopped. */
  push(key: string, event: E): boolean {
    if (this.#stopped) return false;
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = [];
      this.#lanes.set(key, lane);
      this.#ready.push(key);
    }
    const tail = lane[lane.length - 1];
    if (this.#o.coalesce && tail && tail.attempts === 0) {
      lane[lane.length - 1] = { event, attempts: 0 };
      this.#finish(tail.event, { outcome: 'superseded' });
    } else {
      lane.push({ event, attempts: 0 });
      this.#size++;
    }
    this.#pump();
    return true;
  }

  /** The wait before attempt n+1 after n failed ones (before Retry-After). */
  backoffDelay(failures: number): number {
    const { initialMs, maxMs } = this.#o.backoff;
    return backoff({ baseMs: initialMs, maxMs, jitter: 0.5, random: this.#random })(failures);
  }

  /** Resolves when nothing is queued, waiting or in flight. */
  idle(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.add(resolve));
  }

  /**
   * Stops: no new events, backoffs cancelled, queued events dropped
   * unfinished. Attempts in flight get `graceMs` to complete, then are
   * aborted. Resolves when none is left.
   */
  async stop(graceMs = 0): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      for (const timer of this.#waiting.values()) this.#clock.clearTimeout(timer);
      this.#waiting.clear();
      this.#ready.length = 0;
    }
    if (this.#inFlight.size > 0 && graceMs > 0) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise<void>((r) => (timer = this.#clock.setTimeout(r, graceMs))),
      ]);
      if (timer) this.#clock.clearTimeout(timer);
    }
    this.#abort.abort();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#o.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const run = this.#run(key);
      this.#inFlight.add(run);
      void run.finally(() => this.#inFlight.delete(run));
    }
  }

  async #run(key: string): Promise<void> {
    const lane = this.#lanes.get(key);
    const head = lane?.[0];
    if (!lane || !head) return;
    this.#active.add(key);
    const n = ++head.attempts;
    let result: AttemptResult;
    try {
      result = await this.#o.attempt(head.event, n, this.#abort.signal);
    } catch (err) {
      result = { result: 'retry', reason: errorMessage(err) };
    } finally {
      this.#active.delete(key);
    }
    if (this.#stopped) return;
    const willRetry = result.result === 'retry' && n <= this.#o.retries;
    this.#call(() => this.#o.onAttempt?.(head.event, n, result, willRetry));
    if (result.result === 'delivered') this.#next(key, { outcome: 'delivered', attempts: n });
    else if (!willRetry) this.#next(key, { outcome: 'failed', attempts: n, reason: result.reason });
    else {
      let delay = this.backoffDelay(n);
      if (result.result === 'retry' && result.retryAfterMs !== undefined)
        delay = Math.min(this.#o.backoff.maxMs, Math.max(delay, result.retryAfterMs));
      this.#waiting.set(
        key,
        this.#clock.setTimeout(() => {
          this.#waiting.delete(key);
          this.#ready.push(key);
          this.#pump();
        }, delay),
      );
    }
    this.#pump();
  }

  /** The head of `key` is finished: report it and queue the key's next event. */
  #next(key: string, finish: Finish): void {
    const lane = this.#lanes.get(key)!;
    const head = lane.shift()!;
    this.#size--;
    if (lane.length > 0) this.#ready.push(key);
    else this.#lanes.delete(key);
    this.#finish(head.event, finish);
  }

  #finish(event: E, finish: Finish): void {
    this.#call(() => this.#o.onFinish(event, finish));
    if (this.#size === 0) {
      for (const resolve of [...this.#idleWaiters]) resolve();
      this.#idleWaiters.clear();
    }
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch {
      // Hooks are bookkeeping; a throwing one must not wedge the queue.
    }
  }
}
