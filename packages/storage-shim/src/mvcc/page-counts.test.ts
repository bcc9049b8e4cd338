import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { toKeyRange } from '../keys.js';
import { SqliteDriver } from '../drivers/sqlite-driver.js';
import type { KeyValue, RangeRequest } from '../types.js';
import { PageCounts } from './page-counts.js';
import { rangeAt } from './range.js';
import {
  b,
  nextVersion,
  openTestStore,
  prefixTopology,
  put,
  rangeOf,
  rangeReq,
  type TestStore,
} from './test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-page-counts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PageCounts', () => {
  it('keeps a count per range and revision, telling apart ranges whose bytes run together', () => {
    const counts = new PageCounts();
    counts.set(toKeyRange(b('/a/'), b('/a0')), 5, 10);
    counts.set(toKeyRange(b('/a/'), b('/a0')), 6, 11);
    // Same bytes in start + end, cut in another place.
    counts.set(toKeyRange(b('/a/x'), b('0')), 5, 12);
    counts.set(toKeyRange(b('/a/'), b('x0')), 5, 13);
    // From-key (end `\0`, empty in a KeyRange) against a single key.
    counts.set(toKeyRange(b('/k'), b('\0')), 5, 14);
    expect(counts.get(toKeyRange(b('/a/'), b('/a0')), 5)).toBe(10);
    expect(counts.get(toKeyRange(b('/a/'), b('/a0')), 6)).toBe(11);
    expect(counts.get(toKeyRange(b('/a/x'), b('0')), 5)).toBe(12);
    expect(counts.get(toKeyRange(b('/a/'), b('x0')), 5)).toBe(13);
    expect(counts.get(toKeyRange(b('/k'), b('\0')), 5)).toBe(14);
    expect(counts.get(toKeyRange(b('/k'), b('')), 5)).toBeUndefined();
    expect(counts.get(toKeyRange(b('/a/'), b('/a0')), 7)).toBeUndefined();
  });

  it('forgets the least recently used entry past its capacity', () => {
    const counts = new PageCounts(2);
    const r = (s: string) => toKeyRange(b(s), b('\0'));
    counts.set(r('a'), 1, 1);
    counts.set(r('b'), 1, 2);
    expect(counts.get(r('a'), 1)).toBe(1); // a is now the newest
    counts.set(r('c'), 1, 3);
    expect(counts.size).toBe(2);
    expect(counts.get(r('b'), 1)).toBeUndefined();
    expect(counts.get(r('a'), 1)).toBe(1);
    expect(counts.get(r('c'), 1)).toBe(3);
    counts.clear();
    expect(counts.size).toBe(0);
    expect(counts.get(r('c'), 1)).toBeUndefined();
  });
});

describe('the count of a list page', () => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  /** Every page of the list of [key, end) at `revision`, `limit` keys each, continuing from lastKey + "\0". */
  function pages(list: (req: RangeRequest) => { kvs: KeyValue[]; count: number; more: boolean }, limit: number) {
    const out: Array<{ keys: string[]; count: number; more: boolean }> = [];
    let key = '/list/';
    for (;;) {
      const page = list(rangeReq(key, '/list0', { limit }));
      out.push({ keys: page.kvs.map((kv) => kv.key.toString()), count: page.count, more: page.more });
      if (!page.more) return out;
      key = `${page.kvs.at(-1)!.key.toString()}\0`;
    }
  }

  it('is counted once per list: the later pages take the count the page before left', () => {
    const d = new SqliteDriver({ path: join(dir, 'once.db'), fsync: false });
    d.begin();
    for (let i = 0; i < 25; i++) d.put(nextVersion(`/list/${String(i).padStart(2, '0')}`, 2, 'v'), i, undefined);
    void d.commit(2); // fsync off: nothing to wait for
    const counted = vi.spyOn(d, 'count');
    const counts = new PageCounts();
    const list = (req: RangeRequest) =>
      rangeAt([d], req, toKeyRange(req.key, req.rangeEnd), null, { revision: 2, counts });
    const got = pages(list, 10);
    expect(got.map((p) => [p.keys.length, p.count, p.more])).toEqual([
      [10, 25, true],
      [10, 15, true],
      [5, 5, false],
    ]);
    expect(counted).toHaveBeenCalledTimes(1);
    // Without the counts (a batch's view), every full page is counted, with the same answers.
    const uncached = pages((req) => rangeAt([d], req, toKeyRange(req.key, req.rangeEnd), null), 10);
    expect(uncached).toEqual(got);
    expect(counted).toHaveBeenCalledTimes(3);
    d.close();
  });

  it("gives each later page etcd's count at the pinned revision while keys are created and deleted", async () => {
    // Two files, so the page is merged from both and counted over both.
    t = openTestStore(prefixTopology({ low: '/list/0', high: '/list/1' }));
    const s = t.store;
    for (let i = 0; i < 20; i++) await s.put(put(`/list/${i < 10 ? '0' : '1'}${i % 10}`, `v${i}`));
    const first = rangeOf(s, rangeReq('/list/', '/list0', { limit: 6 }));
    const pinned = first.revision;
    expect([first.count, first.more]).toEqual([20, true]);
    // After the first page: keys created before and after its continue key, keys deleted on both sides.
    await s.put(put('/list/00a', 'new, before'));
    await s.put(put('/list/15a', 'new, after'));
    await s.deleteRange({ key: b('/list/01'), rangeEnd: b(''), prevKv: false });
    await s.deleteRange({ key: b('/list/17'), rangeEnd: b(''), prevKv: false });
    let key = `${first.kvs.at(-1)!.key.toString()}\0`;
    const seen = first.kvs.map((kv) => kv.key.toString());
    for (;;) {
      const page = rangeOf(s, rangeReq(key, '/list0', { limit: 6, revision: pinned }));
      // The same range counted without any remembered count: a sort by key reads every key.
      const counted = rangeOf(s, rangeReq(key, '/list0', { revision: pinned, sortOrder: 'ASCEND' }));
      expect(page.count).toBe(counted.count);
      expect(page.count).toBe(20 - seen.length);
      seen.push(...page.kvs.map((kv) => kv.key.toString()));
      if (!page.more) break;
      key = `${page.kvs.at(-1)!.key.toString()}\0`;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `/list/${i < 10 ? '0' : '1'}${i % 10}`));
    // The current state is counted afresh: 20 + 2 created - 2 deleted.
    expect(rangeOf(s, rangeReq('/list/', '/list0', { limit: 6 })).count).toBe(20);
    expect(rangeOf(s, rangeReq('/list/', '/list0', { countOnly: true })).count).toBe(20);
  });

  it('leaves no count behind a page whose keys are not the first of its range', () => {
    const d = new SqliteDriver({ path: join(dir, 'sorted.db'), fsync: false });
    d.begin();
    for (let i = 0; i < 6; i++) d.put(nextVersion(`/list/${i}`, 2 + i, 'v'), 0, undefined);
    void d.commit(7); // fsync off: nothing to wait for
    const counts = new PageCounts();
    const read = (req: RangeRequest) =>
      rangeAt([d], req, toKeyRange(req.key, req.rangeEnd), null, { revision: 7, counts });
    // Sorted by mod revision, descending; filtered by mod revision; ordered by version within the page.
    read(rangeReq('/list/', '/list0', { limit: 2, sortOrder: 'DESCEND', sortTarget: 'MOD' }));
    read(rangeReq('/list/', '/list0', { limit: 2, minModRevision: 3 }));
    read(rangeReq('/list/', '/list0', { limit: 2, sortTarget: 'VERSION' }));
    expect(counts.size).toBe(0);
    read(rangeReq('/list/', '/list0', { limit: 2 }));
    expect(counts.size).toBe(1);
    expect(counts.get(toKeyRange(b('/list/1\0'), b('/list0')), 7)).toBe(4);
    d.close();
  });
});
