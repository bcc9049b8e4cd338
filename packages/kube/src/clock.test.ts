import { describe, expect, it } from 'vitest';
import { FakeClock, sleep } from './clock.js';

describe('FakeClock', () => {
  it('fires due timers in due order, ties in scheduling order, with now() at each due time', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1030);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('runs timers scheduled by timers when they fall due within the same advance', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    await clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('does not fire cleared timers', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const t = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(t);
    await clock.advance(10);
    expect(fired).toBe(false);
  });

  it('lets async loops progress between timers', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await Promise.resolve();
        await sleep(clock, 100);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(250);
    expect(ticks).toEqual([100, 200]);
    await clock.advance(50);
    expect(ticks).toEqual([100, 200, 300]);
  });

  it('sleep resolves early on abort and clears its timer', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const p = sleep(clock, 1000, { signal: ac.signal });
    ac.abort();
    await p;
    expect(clock.pendingTimers()).toBe(0);
  });
});
