/**
 * Rate limiters for retries, after client-go's `util/workqueue`:
 * `DefaultTypedControllerRateLimiter` is the max of a per-item exponential
 * backoff (5 ms·2ⁿ, capped at 1000 s) and one token bucket shared by all items
 * (10 qps, burst 100). The bucket keeps a burst of failures (e.g. the
 * apiserver went away for every key at once) from turning into a retry storm.
 */
import { backoff, type Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { KubeError } from './errors.js';

export interface RateLimiter<K> {
  /** How long `key` should wait before its next retry; records one failure. */
  when(key: K): number;
  /** Failures recorded for `key` since its last `forget`. */
  numRequeues(key: K): number;
  /** Clears `key`'s failure history (call after a success). */
  forget(key: K): void;
}

export interface ExponentialBackoffOptions {
  /** Delay after the first failure. Default 5 ms. */
  baseDelayMs?: number;
  /** Upper bound of the delay. Default 1000 s. */
  maxDelayMs?: number;
}

/** Per-item exponential backoff: baseDelay·2^failures, capped at maxDelay, without jitter (client-go's). */
export class ItemExponentialBackoff<K> implements RateLimiter<K> {
  readonly #failures = new Map<K, number>();
  readonly #base: number;
  readonly #max: number;
  readonly #delay: Backoff;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#base = options.baseDelayMs ?? 5;
    this.#max = options.maxDelayMs ?? 1_000_000;
    if (this.#base <= 0 || this.#max < this.#base) {
      throw new KubeError(
        'CNPAAS_KUBE_INVALID_CONFIG',
        `backoff needs 0 < baseDelayMs ≤ maxDelayMs, got ${this.#base} and ${this.#max}`,
      );
    }
    this.#delay = backoff({ baseMs: this.#base, maxMs: this.#max, jitter: 0 });
  }

  when(key: K): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return this.#delay(n + 1);
  }

  numRequeues(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. Default 10. */
  qps?: number;
  /** Bucket size: how many retries may go at once after a quiet period. Default 100. */
  burst?: number;
  clock: Clock;
}

/**
 * An overall token bucket with golang.org/x/time/rate's `Reserve` semantics:
 * each call takes a token now, and when the bucket is empty the returned delay
 * is when that token will have been refilled. Tokens may go negative, so
 * reservations queue up behind each other at `qps`.
 */
export class TokenBucket<K> implements RateLimiter<K> {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    this.#clock = options.clock;
    if (this.#qps <= 0 || this.#burst < 1) {
      throw new KubeError(
        'CNPAAS_KUBE_INVALID_CONFIG',
        `token bucket needs qps > 0 and burst ≥ 1, got ${this.#qps} and ${this.#burst}`,
      );
    }
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  when(_key: K): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  // The bucket is shared by all keys: it keeps no per-key history.
  numRequeues(_key: K): number {
    return 0;
  }

  forget(_key: K): void {}
}

/** The longest delay of several limiters; every limiter records the failure. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  readonly #limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.#limiters = limiters;
  }

  when(key: K): number {
    let delay = 0;
    for (const l of this.#limiters) delay = Math.max(delay, l.when(key));
    return delay;
  }

  numRequeues(key: K): number {
    let n = 0;
    for (const l of this.#limiters) n = Math.max(n, l.numRequeues(key));
    return n;
  }

  forget(key: K): void {
    for (const l of this.#limiters) l.forget(key);
  }
}

export interface ControllerRateLimiterOptions extends ExponentialBackoffOptions {
  qps?: number;
  burst?: number;
  clock: Clock;
}

/** client-go's default controller limiter: per-item 5 ms·2ⁿ ≤ 1000 s, overall 10 qps burst 100. */
export function defaultControllerRateLimiter<K>(options: ControllerRateLimiterOptions): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialBackoff<K>(options),
    new TokenBucket<K>({ clock: options.clock, qps: options.qps, burst: options.burst }),
  );
}
