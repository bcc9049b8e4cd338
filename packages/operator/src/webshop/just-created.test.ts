import { FakeClock } from '@cnpaas/kube';
import { describe, expect, it } from 'vitest';
import { JustCreated } from './just-created.js';

const ns = (uid: string, deleting = false) => ({
  metadata: { name: `t-${uid}`, uid, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
});

describe('JustCreated', () => {
  it('lets the first event of a recorded create through once, and no other', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.record(ns('a'));
    expect(created.take(ns('b'))).toBe(false);
    expect(created.take(ns('a'))).toBe(true);
    expect(created.take(ns('a'))).toBe(false);
    expect(created.size).toBe(0);
  });

  it('never swallows an event that shows the object going away', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.record(ns('a'));
    expect(created.take(ns('a', true))).toBe(false);
    // Still there for the event of the create itself.
    expect(created.take(ns('a'))).toBe(true);
  });

  it('forgets a create whose event did not come within the TTL', async () => {
    const clock = new FakeClock();
    const created = new JustCreated({ clock, ttlMs: 1_000 });
    created.record(ns('a'));
    await clock.advance(1_000);
    expect(created.take(ns('a'))).toBe(false);
    created.record(ns('b'));
    await clock.advance(1_000);
    created.record(ns('c'));
    // b expired and was dropped on the way; c is fresh.
    expect(created.size).toBe(1);
    expect(created.take(ns('c'))).toBe(true);
  });

  it('holds at most `max` creates, dropping the oldest', () => {
    const created = new JustCreated({ clock: new FakeClock(), max: 2 });
    for (const uid of ['a', 'b', 'c']) created.record(ns(uid));
    expect(created.size).toBe(2);
    expect(created.take(ns('a'))).toBe(false);
    expect(created.take(ns('c'))).toBe(true);
  });

  it('ignores objects without a uid', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.record({ metadata: { name: 'x' } });
    expect(created.size).toBe(0);
    expect(created.take({ metadata: { name: 'x' } })).toBe(false);
  });
});
