import { describe, expect, it } from 'vitest';
import { BATCH_SIZE, batchOf, KINDS, object } from './kinds.js';

describe('the scale run objects', () => {
  it('share a batch label by ten consecutive iterations, and keep a unique name label', () => {
    expect(BATCH_SIZE).toBe(10);
    expect([0, 9, 10, 19, 20, 99_999].map(batchOf)).toEqual([0, 0, 1, 1, 2, 9_999]);
    const a = object(KINDS[0]!, 'o-00009', 9) as { metadata: { labels: Record<string, string> } };
    const b = object(KINDS[0]!, 'o-0000a', 10) as { metadata: { labels: Record<string, string> } };
    expect(a.metadata.labels).toMatchObject({ name: 'o-00009', batch: '0' });
    expect(b.metadata.labels).toMatchObject({ name: 'o-0000a', batch: '1' });
  });
});
