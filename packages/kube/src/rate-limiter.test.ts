import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { defaultControllerRateLimiter, ItemExponentialBackoff, TokenBucket } from './rate-limiter.js';

describe('ItemExponentialBackoff', () => {
  it('doubles from 5 ms per failure of the same key and caps at 1000 s', () => {
    const b = new ItemExponentialBackoff<string>();
    const delays = Array.from({ length: 20 }, () => b.when('a'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    // 5 ms·2^17 = 655 s is the last below the cap; 2^18 would be 1310 s.
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[19]).toBe(1_000_000);
    expect(b.numRequeues('a')).toBe(20);
  });

  it('keeps keys apart and forget resets one key', () => {
    const b = new ItemExponentialBackoff<string>({ baseDelayMs: 1, maxDelayMs: 100 });
    b.when('a');
    b.when('a');
    expect(b.when('b')).toBe(1);
    b.forget('a');
    expect(b.numRequeues('a')).toBe(0);
    expect(b.when('a')).toBe(1);
  });

  it('rejects a cap below the base', () => {
    expect(() => new ItemExponentialBackoff({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/CNPAAS|backoff/);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then spaces reservations at 1/qps, refilling with time', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket<string>({ clock, qps: 10, burst: 100 });
    for (let i = 0; i < 100; i++) expect(bucket.when(`k${i}`)).toBe(0);
    expect(bucket.when('x')).toBeCloseTo(100);
    expect(bucket.when('y')).toBeCloseTo(200);
    // 1 s later 10 tokens came back, 2 of which repay the debt above.
    await clock.advance(1000);
    for (let i = 0; i < 8; i++) expect(bucket.when(`z${i}`)).toBe(0);
    expect(bucket.when('over')).toBeCloseTo(100);
  });

  it('never stores more than burst tokens', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket<string>({ clock, qps: 10, burst: 2 });
    await clock.advance(60_000);
    expect(bucket.when('a')).toBe(0);
    expect(bucket.when('b')).toBe(0);
    expect(bucket.when('c')).toBeCloseTo(100);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('takes the longer of per-key backoff and the global bucket', () => {
    const clock = new FakeClock(0);
    const limiter = defaultControllerRateLimiter<string>({ clock, qps: 10, burst: 3 });
    expect(limiter.when('a')).toBe(5); // bucket has tokens: backoff wins
    expect(limiter.when('a')).toBe(10);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.when('c')).toBeCloseTo(100); // bucket empty: it wins over 5 ms
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.numRequeues('b')).toBe(1);
  });
});
