import { describe, expect, it } from 'vitest';
import { mergeSorted, score } from './score.js';
import { quantile, Samples } from './workload.js';

function samples(values: number[]): Samples {
  const s = new Samples();
  for (const v of values) s.push(v);
  return s;
}

describe('the scale run score', () => {
  it('is checks over the latency blend when nothing failed', () => {
    // 100 latencies 1..100 ms: median 50, p90 90, p95 95 → blend 10 + 27 + 47.5 = 84.5.
    const creates = samples(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    const reads = samples(Array.from({ length: 50 }, (_, i) => 2 * i + 2));
    expect(quantile(mergeSorted({ creates, reads }), 0.5)).toBe(50);
    expect(score({ creates, reads, checks: 100, failed: 0 })).toBe(Math.floor(100 / 84.5));
    expect(score({ creates, reads, checks: 100_000, failed: 0 })).toBe(Math.floor(100_000 / 84.5));
  });

  it('falls with the seventh power of the success share', () => {
    const creates = samples([10, 10, 10, 10]);
    const reads = samples([10, 10, 10, 10]);
    expect(score({ creates, reads, checks: 8000, failed: 0 })).toBe(800);
    expect(score({ creates, reads, checks: 8000, failed: 800 })).toBe(Math.floor(800 * 0.9 ** 7));
    expect(score({ creates, reads, checks: 0, failed: 0 })).toBe(0);
  });

  it('keeps samples past the first buffer, in order', () => {
    const s = samples(Array.from({ length: 70_000 }, (_, i) => 70_000 - i));
    expect(s.length).toBe(70_000);
    const sorted = s.sorted();
    expect(sorted[0]).toBe(1);
    expect(sorted[69_999]).toBe(70_000);
    expect(quantile(s.sorted(69_000), 1)).toBe(1000);
  });
});
