import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { JustCreated } from './just-created.js';

const ns = (name: string, uid: string, deleting = false) => ({
  metadata: { name, uid, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
});

describe('JustCreated', () => {
  it('swallows the event of our create once, when it comes after the answer', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.creating('t-a');
    expect(created.settled('t-a', ns('t-a', 'u1'))).toBe(false);
    expect(created.take(ns('t-b', 'u2'))).toBe(false);
    expect(created.take(ns('t-a', 'other'))).toBe(false);
    expect(created.take(ns('t-a', 'u1'))).toBe(true);
    expect(created.take(ns('t-a', 'u1'))).toBe(false);
    expect(created.size).toBe(0);
  });

  it('swallows the event of our create once, when it comes before the answer', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.creating('t-a');
    expect(created.take(ns('t-a', 'u1'))).toBe(true);
    expect(created.take(ns('t-a', 'u1'))).toBe(false);
    expect(created.settled('t-a', ns('t-a', 'u1'))).toBe(false);
    expect(created.size).toBe(0);
  });

  it('asks for a run again when it swallowed an event its create does not account for', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    // The create found one there (or failed): the event was of that one.
    created.creating('t-a');
    expect(created.take(ns('t-a', 'theirs'))).toBe(true);
    expect(created.settled('t-a', undefined)).toBe(true);
    // The create made another object than the one the event showed.
    created.creating('t-b');
    expect(created.take(ns('t-b', 'theirs'))).toBe(true);
    expect(created.settled('t-b', ns('t-b', 'ours'))).toBe(true);
    // Nothing swallowed: nothing to run again, and nothing kept.
    created.creating('t-c');
    expect(created.settled('t-c', undefined)).toBe(false);
    expect(created.size).toBe(0);
  });

  it('never swallows an event that shows the object going away', () => {
    const created = new JustCreated({ clock: new FakeClock() });
    created.creating('t-a');
    expect(created.take(ns('t-a', 'u1', true))).toBe(false);
    expect(created.settled('t-a', ns('t-a', 'u1'))).toBe(false);
    expect(created.take(ns('t-a', 'u1', true))).toBe(false);
    expect(created.take(ns('t-a', 'u1'))).toBe(true);
  });

  it('forgets a create whose event did not come within the TTL', async () => {
    const clock = new FakeClock();
    const created = new JustCreated({ clock, ttlMs: 1_000 });
    created.creating('t-a');
    created.settled('t-a', ns('t-a', 'u1'));
    await clock.advance(1_000);
    expect(created.take(ns('t-a', 'u1'))).toBe(false);
    created.creating('t-b');
    await clock.advance(1_000);
    created.creating('t-c');
    // t-a and t-b expired and were dropped on the way; t-c is fresh.
    expect(created.size).toBe(1);
    expect(created.take(ns('t-c', 'u3'))).toBe(true);
  });

  it('remembers at most `max` creates, dropping the oldest', () => {
    const created = new JustCreated({ clock: new FakeClock(), max: 2 });
    for (const name of ['t-a', 't-b', 't-c']) created.creating(name);
    expect(created.size).toBe(2);
    expect(created.take(ns('t-a', 'u1'))).toBe(false);
    expect(created.take(ns('t-c', 'u3'))).toBe(true);
  });
});
