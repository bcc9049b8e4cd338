import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progress.js';

describe('ProgressTracker', () => {
  it('never advances past an unfinished event, whatever order events finish in', () => {
    const t = new ProgressTracker('100');
    const a = t.add('101');
    const b = t.add('102');
    const c = t.add('103');
    t.finish(c);
    t.finish(b);
    expect(t.committed()).toBe('100');
    t.finish(a);
    expect(t.committed()).toBe('103');
    expect(t.outstanding()).toBe(0);
  });

  it('checkpoints (bookmarks, unwanted events) move the point only when everything before is finished', () => {
    const t = new ProgressTracker();
    expect(t.committed()).toBeUndefined();
    t.add('5', true);
    expect(t.committed()).toBe('5');
    const a = t.add('6');
    t.add('9', true); // a bookmark behind an unfinished event
    expect(t.committed()).toBe('5');
    t.finish(a);
    expect(t.committed()).toBe('9');
  });

  it('list items (no resourceVersion of their own) hold the point until the list checkpoint', () => {
    const t = new ProgressTracker('50');
    const x = t.add(undefined);
    const y = t.add(undefined);
    t.add('200', true); // the list's resourceVersion
    t.finish(x);
    expect(t.committed()).toBe('50');
    t.finish(y);
    expect(t.committed()).toBe('200');
  });

  it('ignores unknown and repeated finishes', () => {
    const t = new ProgressTracker('1');
    const a = t.add('2');
    t.add('3');
    t.finish(a);
    t.finish(a);
    t.finish(42);
    expect(t.committed()).toBe('2');
    expect(t.outstanding()).toBe(1);
  });
});
