import { describe, expect, it } from 'vitest';
import { backoff } from './backoff.js';

describe('backoff()', () => {
  it('grows by the factor from baseMs up to maxMs', () => {
    const delay = backoff({ baseMs: 100, maxMs: 1000, factor: 3, jitter: 0 });
    expect([0, 1, 2, 3, 4, 50].map(delay)).toEqual([100, 100, 300, 900, 1000, 1000]);
  });

  it('randomizes the jitter fraction of each delay: equal jitter by default, full jitter at 1', () => {
    const low = backoff({ baseMs: 800, maxMs: 30_000, random: () => 0 });
    const high = backoff({ baseMs: 800, maxMs: 30_000, random: () => 0.999 });
    expect([1, 2, 3].map(low)).toEqual([400, 800, 1600]);
    expect(high(30)).toBeGreaterThan(29_900);
    expect(high(30)).toBeLessThanOrEqual(30_000);
    expect(backoff({ baseMs: 1000, maxMs: 1000, jitter: 1, random: () => 0.25 })(1)).toBe(250);
  });

  it('stays finite for very long outages and is 0 for a zero base', () => {
    expect(backoff({ baseMs: 5, maxMs: 1_000_000, jitter: 0 })(5000)).toBe(1_000_000);
    expect(backoff({ baseMs: 0, maxMs: 1000 })(3)).toBe(0);
  });
});
