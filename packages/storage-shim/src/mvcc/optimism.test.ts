import { describe, expect, it } from 'vitest';
import { MOST_SKIPPED, Optimism } from './optimism.js';

/** How many batches go under the lock before the next optimistic one. */
function skipped(o: Optimism): number {
  let n = 0;
  while (!o.ready()) n++;
  return n;
}

describe('Optimism', () => {
  it('tries every batch while they commit', () => {
    const o = new Optimism();
    for (let i = 0; i < 5; i++) {
      expect(o.ready()).toBe(true);
      o.committed();
    }
  });

  it('pauses twice as long after each refusal in a row, up to MOST_SKIPPED', () => {
    const o = new Optimism();
    const pauses: number[] = [];
    for (let i = 0; i < 9; i++) {
      o.refused();
      pauses.push(skipped(o));
    }
    expect(pauses).toEqual([1, 2, 4, 8, 16, 32, MOST_SKIPPED, MOST_SKIPPED, MOST_SKIPPED]);
  });

  it('ends the pause once an optimistic batch commits again', () => {
    const o = new Optimism();
    o.refused();
    o.refused();
    expect(skipped(o)).toBe(2);
    o.committed();
    o.refused();
    expect(skipped(o)).toBe(1);
  });
});
