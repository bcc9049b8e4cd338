/**
 * A rate limit per caller: one token bucket per authenticated name.
 *
 * For requests that cost far more than their bytes (a registration runs a
 * SubjectAccessReview, admission webhooks with a password hash, several
 * objects and a mail; a sign-in a hash comparison and a token): without a
 * limit one caller, a leaked credential or a runaway script, can fill the
 * store or try passwords at the server's speed. Each caller gets `burst`
 * requests at once and then `perMinute` a minute; beyond that the server
 * answers 429 with Retry-After, as kube-apiserver's own flow control does.
 *
 * A refused request takes no token, so a caller who waits Retry-After gets
 * through. The key must be a name the server authenticated (a front-proxy
 * user, a client certificate's subject), never a header the caller chose.
 * Buckets live in memory, per process, at most `maxCallers` of them: a
 * restart forgets them, which at worst grants one extra burst.
 */

export interface RateLimitOptions {
  /** Tokens added per minute; 0 turns the limit off. */
  perMinute: number;
  /** Bucket size: how many may go at once after a quiet period (≥ 1). */
  burst: number;
  /** At most this many callers remembered; full buckets go first, then the least recently seen. Default 10 000. */
  maxCallers?: number;
  /** Milliseconds, for tests. */
  now?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

export class CallerRateLimiter {
  readonly perMinute: number;
  readonly burst: number;
  readonly #max: number;
  readonly #now: () => number;
  /** Insertion order is recency order: a bucket is re-inserted on every use. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    this.perMinute = options.perMinute;
    this.burst = options.burst;
    this.#max = options.maxCallers ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Takes one token for `caller` if there is one; otherwise says how long until there will be. */
  take(caller: string): RateDecision {
    if (!this.enabled) return { allowed: true };
    const now = this.#now();
    const bucket = this.#refill(this.#buckets.get(caller), now);
    this.#buckets.delete(caller);
    this.#buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.#evict(now);
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 60_000) / this.perMinute) };
  }

  /** Callers with a bucket in memory. */
  get size(): number {
    return this.#buckets.size;
  }

  #refill(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    return { tokens, at: now };
  }

  #evict(now: number): void {
    if (this.#buckets.size <= this.#max) return;
    // A bucket that has refilled is the same as no bucket: forgetting it changes nothing.
    for (const [caller, bucket] of this.#buckets) {
      if (this.#refill(bucket, now).tokens >= this.burst) this.#buckets.delete(caller);
    }
    // Still too many: the least recently seen go (each then starts again with a full burst).
    for (const caller of this.#buckets.keys()) {
      if (this.#buckets.size <= this.#max) break;
      this.#buckets.delete(caller);
    }
  }
}
