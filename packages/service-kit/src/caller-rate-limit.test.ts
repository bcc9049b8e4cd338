import { describe, expect, it } from 'vitest';
import { CallerRateLimiter } from './caller-rate-limit.js';

describe('CallerRateLimiter', () => {
  it('allows a burst, then one per 60/perMinute seconds, per caller', () => {
    let now = 0;
    const limiter = new CallerRateLimiter({ perMinute: 10, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('alice').allowed)).toEqual([true, true, true]);
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 6_000 });
    // Another caller has its own bucket.
    expect(limiter.take('bob').allowed).toBe(true);
    now += 3_000;
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 3_000 });
    // A refusal took nothing: after the wait it names, the caller gets through.
    now += 3_000;
    expect(limiter.take('alice').allowed).toBe(true);
    expect(limiter.take('alice').allowed).toBe(false);
    // A long pause refills to the burst, not beyond.
    now += 10 * 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take('alice').allowed)).toEqual([true, true, true, false]);
  });

  it('is off with perMinute 0', () => {
    const limiter = new CallerRateLimiter({ perMinute: 0, burst: 1 });
    expect(Array.from({ length: 50 }, () => limiter.take('alice').allowed).every(Boolean)).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('remembers at most maxCallers, forgetting full buckets first', () => {
    let now = 0;
    const limiter = new CallerRateLimiter({ perMinute: 60, burst: 1, maxCallers: 2, now: () => now });
    limiter.take('a');
    now += 1_000; // a's bucket is full again
    limiter.take('b');
    limiter.take('c');
    expect(limiter.size).toBe(2);
    // b is still empty and was not forgotten.
    expect(limiter.take('b').allowed).toBe(false);
  });
});
