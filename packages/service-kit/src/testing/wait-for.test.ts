import { describe, expect, it } from 'vitest';
import { pool, waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await waitFor(
      'the third call',
      async () => (++calls === 3 ? { calls } : calls === 1 ? undefined : false),
      5_000,
      1,
    );
    expect(value).toEqual({ calls: 3 });
  });

  it('keeps probing through errors, and names what it waited for and the last error when time runs out', async () => {
    let calls = 0;
    const failure = waitFor(
      'the moon',
      async () => {
        calls++;
        throw new Error(`not yet (${calls})`);
      },
      30,
      5,
    );
    await expect(failure).rejects.toThrow(
      /^timed out after 30 ms waiting for the moon \(last error: not yet \(\d+\)\)$/,
    );
    expect(calls).toBeGreaterThan(1);
  });

  it('probes once even when the timeout is zero', async () => {
    expect(await waitFor('one look', async () => 'seen', 0)).toBe('seen');
  });
});

describe('pool', () => {
  it('keeps at most `concurrency` in flight and returns results in the items’ order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await pool([30, 10, 20, 5, 15], 2, async (ms, index) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return `${index}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:10', '2:20', '3:5', '4:15']);
    expect(most).toBe(2);
  });

  it('returns an empty list for no items', async () => {
    expect(await pool([], 4, async () => 1)).toEqual([]);
  });
});
