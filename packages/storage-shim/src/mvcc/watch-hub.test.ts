import { afterEach, describe, expect, it } from 'vitest';
import { toKeyRange } from '../keys.js';
import type { Event } from '../types.js';
import { b, openTestStore, put, putTxn, type TestStore } from './test-helpers.js';
import { WatchHub, Watcher, type WatchSink } from './watch-hub.js';

class Recorder implements WatchSink {
  readonly batches: Array<{ revision: number; events: string[] }> = [];
  compactedAt: number | undefined;
  events(_w: Watcher, events: Event[], revision: number): void {
    this.batches.push({
      revision,
      events: events.map(
        (e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}${e.prevKv ? ` prev=${e.prevKv.value}` : ''}`,
      ),
    });
  }
  compacted(_w: Watcher, rev: number): void {
    this.compactedAt = rev;
  }
  all(): string[] {
    return this.batches.flatMap((x) => x.events);
  }
}

let t: TestStore;
let hub: WatchHub;
afterEach(async () => {
  hub.close();
  await t.dispose();
});

const tick = () => new Promise((r) => setImmediate(r));
const watcher = (sink: WatchSink, opts: { start: number; prefix?: string; prevKv?: boolean; noPut?: boolean }) =>
  new Watcher(
    1,
    {
      range: toKeyRange(b(opts.prefix ?? 'p/'), b(opts.prefix ? `${opts.prefix.slice(0, -1)}0` : 'p0')),
      startRevision: opts.start,
      prevKv: !!opts.prevKv,
      filter: { noPut: !!opts.noPut, noDelete: false },
    },
    sink,
  );

describe('WatchHub', () => {
  it('catches a past watcher up from history, then hands it the live feed without a gap', async () => {
    t = openTestStore();
    hub = new WatchHub(t.store);
    await t.store.put(put('p/a', '1')); // 2
    await t.store.put(put('q/x', '1')); // 3, outside the range
    await t.store.put(put('p/a', '2')); // 4
    const rec = new Recorder();
    const w = watcher(rec, { start: 2, prevKv: true });
    hub.add(w);
    expect(hub.allSynced([w])).toBe(false);
    await tick();
    expect(hub.allSynced([w])).toBe(true);
    await t.store.txn(putTxn({ 'p/b': '1', 'p/a': '3' })); // 5
    expect(rec.all()).toEqual(['PUT p/a@2', 'PUT p/a@4 prev=1', 'PUT p/b@5', 'PUT p/a@5 prev=2']);
    // a catch-up answer carries the current revision; a live one its own
    expect(rec.batches.map((x) => x.revision)).toEqual([4, 5]);
  });

  it('delivers nothing to a future watcher until its revision comes', async () => {
    t = openTestStore();
    hub = new WatchHub(t.store);
    const rec = new Recorder();
    hub.add(watcher(rec, { start: 4 }));
    await t.store.put(put('p/a', '1')); // 2
    await t.store.put(put('p/a', '2')); // 3
    await t.store.put(put('p/a', '3')); // 4
    expect(rec.all()).toEqual(['PUT p/a@4']);
  });

  it('cancels a watcher whose start was compacted away, and filters puts', async () => {
    t = openTestStore();
    hub = new WatchHub(t.store);
    for (let i = 0; i < 4; i++) await t.store.put(put('p/a', String(i)));
    await t.store.deleteRange({ key: b('p/a'), rangeEnd: b(''), prevKv: false }); // 6
    await t.store.compact(4, true);
    const old = new Recorder();
    hub.add(watcher(old, { start: 3 }));
    const atCompaction = new Recorder();
    hub.add(watcher(atCompaction, { start: 4, noPut: true }));
    await tick();
    expect(old.compactedAt).toBe(4);
    expect(old.all()).toEqual([]);
    expect(atCompaction.compactedAt).toBeUndefined();
    expect(atCompaction.all()).toEqual(['DELETE p/a@6']);
  });
});
