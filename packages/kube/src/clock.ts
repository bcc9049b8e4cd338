/**
 * An injectable clock. Every timer in the runtime (queue delays, backoff,
 * informer resync, lease renewal) goes through one, so tests drive time with
 * `FakeClock.advance` instead of sleeping.
 */

/** An opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: `Date.now` and the global timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, Math.max(0, ms)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts (it never
 * rejects: loops check the signal themselves, which keeps shutdown paths free
 * of try/catch).
 */
export function sleep(clock: Clock, ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface FakeTimer {
  readonly __timer: true;
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Lets pending promise chains run: one macrotask turn drains all microtasks. */
function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for tests. Time stands still until `advance(ms)`, which fires due
 * timers in order of due time (ties in scheduling order), moving `now()` to
 * each timer's due time before it fires, and lets promise chains settle
 * between timers so async loops (await api call, then sleep) make progress
 * exactly as they would in real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<FakeTimer>();

  constructor(start: number = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { __timer: true, due: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as FakeTimer);
  }

  /** Timers scheduled and not yet fired or cleared. */
  pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushPromises();
    for (;;) {
      const next = this.#next();
      if (!next || next.due > target) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.due);
      next.callback();
      await flushPromises();
    }
    this.#now = target;
    await flushPromises();
  }

  /** Lets pending promises settle without moving time. */
  async settle(): Promise<void> {
    await this.advance(0);
  }

  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
