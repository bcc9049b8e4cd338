import { describe, expect, it } from 'vitest';
import { deferred, type Deferred } from './testing.js';
import { FakeClock } from './clock.js';
import { ItemExponentialBackoff, TokenBucket } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

/** A processor that records calls and lets the test decide when each one finishes. */
function controlled() {
  const calls: string[] = [];
  const pending = new Map<string, Deferred[]>();
  let active = 0;
  let maxActive = 0;
  const activeByKey = new Map<string, number>();
  let maxSameKey = 0;
  return {
    calls,
    get maxActive() {
      return maxActive;
    },
    get maxSameKey() {
      return maxSameKey;
    },
    process: async (key: string): Promise<void> => {
      calls.push(key);
      active++;
      maxActive = Math.max(maxActive, active);
      activeByKey.set(key, (activeByKey.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, activeByKey.get(key) ?? 0);
      const d = deferred();
      pending.set(key, [...(pending.get(key) ?? []), d]);
      try {
        await d.promise;
      } finally {
        active--;
        activeByKey.set(key, (activeByKey.get(key) ?? 1) - 1);
      }
    },
    /** Finishes the oldest running call of `key`. */
    finish(key: string, err?: unknown): void {
      const list = pending.get(key) ?? [];
      const d = list.shift();
      if (!d) throw new Error(`no running call for ${key}`);
      if (err) d.reject(err);
      else d.resolve();
    },
  };
}

describe('WorkQueue', () => {
  it('collapses repeated adds of a waiting key into one run', async () => {
    const clock = new FakeClock();
    const p = controlled();
    const q = new WorkQueue<string>({ process: p.process, clock });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    q.start();
    await clock.settle();
    p.finish('a');
    await clock.settle();
    p.finish('b');
    await clock.settle();
    expect(p.calls).toEqual(['a', 'b']);
    expect(q.len()).toBe(0);
  });

  it('never runs one key twice at once; adds during a run give exactly one re-run', async () => {
    const clock = new FakeClock();
    const p = controlled();
    const q = new WorkQueue<string>({ process: p.process, clock, concurrency: 4 });
    q.start();
    q.add('a');
    await clock.settle();
    expect(q.activeCount()).toBe(1);
    q.add('a');
    q.add('a');
    q.add('a');
    await clock.settle();
    // Still one run of 'a', even with 3 idle workers.
    expect(q.activeCount()).toBe(1);
    expect(q.len()).toBe(0);
    p.finish('a');
    await clock.settle();
    expect(p.calls).toEqual(['a', 'a']);
    p.finish('a');
    await clock.settle();
    expect(p.calls).toEqual(['a', 'a']);
    expect(p.maxSameKey).toBe(1);
  });

  it('runs at most `concurrency` keys at once, in FIFO order', async () => {
    const clock = new FakeClock();
    const p = controlled();
    const q = new WorkQueue<string>({ process: p.process, clock, concurrency: 3 });
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) q.add(k);
    q.start();
    await clock.settle();
    expect(p.calls).toEqual(['k1', 'k2', 'k3']);
    expect(q.len()).toBe(2);
    p.finish('k2');
    await clock.settle();
    expect(p.calls).toEqual(['k1', 'k2', 'k3', 'k4']);
    for (const k of ['k1', 'k3', 'k4']) p.finish(k);
    await clock.settle();
    p.finish('k5');
    await clock.settle();
    expect(p.calls).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    expect(p.maxActive).toBe(3);
  });

  it('addAfter waits on the clock, and the earliest of several delays wins', async () => {
    const clock = new FakeClock(0);
    const runs: Array<[string, number]> = [];
    const q = new WorkQueue<string>({ process: async (k) => void runs.push([k, clock.now()]), clock });
    q.start();
    q.addAfter('a', 1000);
    q.addAfter('a', 300); // earlier: replaces
    q.addAfter('b', 300);
    q.addAfter('b', 1000); // later: ignored
    expect(q.waitingCount()).toBe(2);
    await clock.advance(299);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([
      ['a', 300],
      ['b', 300],
    ]);
    await clock.advance(5000);
    expect(runs).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('addRateLimited backs off 5 ms·2ⁿ per key, and forget starts over', async () => {
    const clock = new FakeClock(0);
    const runs: number[] = [];
    let fail = true;
    const q = new WorkQueue<string>({
      clock,
      rateLimiter: new ItemExponentialBackoff<string>(),
      process: async (k) => {
        runs.push(clock.now());
        if (fail) q.addRateLimited(k);
        else q.forget(k);
      },
    });
    q.start();
    q.add('a');
    await clock.advance(5 + 10 + 20 + 40 + 80);
    // Runs at 0, then after 5, 10, 20, 40, 80 ms.
    expect(runs).toEqual([0, 5, 15, 35, 75, 155]);
    expect(q.numRequeues('a')).toBe(6);
    fail = false;
    await clock.advance(160);
    expect(runs.at(-1)).toBe(315);
    expect(q.numRequeues('a')).toBe(0);
  });

  it('rate-limited retries of many keys are spaced by the global bucket', async () => {
    const clock = new FakeClock(0);
    const runs: Array<[string, number]> = [];
    const q = new WorkQueue<string>({
      clock,
      concurrency: 10,
      rateLimiter: new TokenBucket<string>({ clock, qps: 10, burst: 2 }),
      process: async (k) => void runs.push([k, clock.now()]),
    });
    q.start();
    for (const k of ['a', 'b', 'c', 'd']) q.addRateLimited(k);
    await clock.advance(0);
    expect(runs.map(([k]) => k)).toEqual(['a', 'b']);
    await clock.advance(100);
    expect(runs.at(-1)).toEqual(['c', 100]);
    await clock.advance(100);
    expect(runs.at(-1)).toEqual(['d', 200]);
  });

  it('retries a key whose processor rejects, and reports the error', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let n = 0;
    const q = new WorkQueue<string>({
      clock,
      rateLimiter: new ItemExponentialBackoff<string>({ baseDelayMs: 50 }),
      onProcessError: (_k, err) => errors.push(err),
      process: async () => {
        if (n++ === 0) throw new Error('boom');
      },
    });
    q.start();
    q.add('a');
    await clock.advance(49);
    expect(n).toBe(1);
    await clock.advance(1);
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('shutdown waits for running work, drops queued keys and delays, and ignores later adds', async () => {
    const clock = new FakeClock(0);
    const p = controlled();
    let seenSignal: AbortSignal | undefined;
    const q = new WorkQueue<string>({
      clock,
      process: (k, signal) => {
        seenSignal = signal;
        return p.process(k);
      },
    });
    q.start();
    q.add('running');
    q.add('queued');
    q.addAfter('later', 1000);
    await clock.settle();
    expect(p.calls).toEqual(['running']);

    let drained = false;
    const shutdown = q.shutdown().then(() => (drained = true));
    await clock.settle();
    expect(drained).toBe(false);
    expect(seenSignal?.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);

    q.add('after-shutdown');
    q.addRateLimited('after-shutdown');
    p.finish('running');
    await shutdown;
    expect(drained).toBe(true);
    await clock.advance(5000);
    expect(p.calls).toEqual(['running']);
    expect(q.len()).toBe(0);
  });

  it('does not run anything before start', async () => {
    const clock = new FakeClock(0);
    const p = controlled();
    const q = new WorkQueue<string>({ process: p.process, clock });
    q.add('a');
    await clock.advance(1000);
    expect(p.calls).toEqual([]);
    q.start();
    await clock.settle();
    expect(p.calls).toEqual(['a']);
    p.finish('a');
    await q.shutdown();
  });
});
