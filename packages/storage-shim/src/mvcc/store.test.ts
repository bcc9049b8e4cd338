import { afterEach, describe, expect, it } from 'vitest';
import { EtcdError } from '../errors.js';
import { b, openTestStore, put, putTxn, rangeReq, type TestStore, rangeOf } from './test-helpers.js';
import type { Revision } from './store.js';

const SPLIT = `
backends:
  - name: alpha
    endpoint: sqlite://alpha.db
    prefix: { prefix: "/a/" }
  - name: beta
    endpoint: sqlite://beta.db?_journal=WAL
    prefix: { prefix: "/b/" }
`;

let t: TestStore;
afterEach(async () => {
  await t.dispose();
});

function keys(kvs: Array<{ key: Buffer }>): string[] {
  return kvs.map((kv) => kv.key.toString());
}

describe('revisions', () => {
  it('starts at 1 and takes one revision per changing write', async () => {
    t = openTestStore();
    const s = t.store;
    expect(s.revision).toBe(1);
    expect((await s.put(put('k', 'v'))).revision).toBe(2);
    // a delete of nothing and a failed compare change nothing
    expect((await s.deleteRange({ key: b('nope'), rangeEnd: b(''), prevKv: false })).revision).toBe(2);
    const failed = await s.txn({
      compare: [{ key: b('k'), rangeEnd: b(''), target: 'VERSION', result: 'EQUAL', number: 9n, value: b('') }],
      success: [{ put: put('x', '1') }],
      failure: [],
    });
    expect(failed).toMatchObject({ succeeded: false, revision: 2 });
    expect((await s.txn(putTxn({ a: '1', b: '2', c: '3' }))).revision).toBe(3);
    expect(s.revision).toBe(3);
  });

  it('keeps the revision across a restart, also after compaction removed the newest history', async () => {
    t = openTestStore();
    await t.store.put(put('k', '1'));
    await t.store.put(put('k', '2'));
    await t.store.deleteRange({ key: b('k'), rangeEnd: b(''), prevKv: false });
    await t.store.compact(4, true);
    await t.store.close();
    const s = t.reopen();
    expect(s.revision).toBe(4);
    expect(s.compactRevision).toBe(4);
    expect((await s.put(put('k', '3'))).revision).toBe(5);
  });

  it('shares one revision sequence across backends and merges ranges in key order', async () => {
    t = openTestStore(SPLIT);
    const s = t.store;
    await s.put(put('/b/2', 'b2'));
    await s.put(put('/a/1', 'a1'));
    await s.put(put('/c/3', 'c3'));
    await s.put(put('/a/9', 'a9'));
    const all = rangeOf(s, rangeReq('/', '0'));
    expect(keys(all.kvs)).toEqual(['/a/1', '/a/9', '/b/2', '/c/3']);
    expect(all.kvs.map((kv) => kv.modRevision)).toEqual([3, 5, 2, 4]);
    const page = rangeOf(s, rangeReq('/', '0', { limit: 2 }));
    expect(page).toMatchObject({ more: true, count: 4 });
    expect(keys(page.kvs)).toEqual(['/a/1', '/a/9']);
    expect(t.store.keyCounts()).toEqual({ main: 1, alpha: 2, beta: 1 });
  });
});

describe('reads', () => {
  it('answers historical reads, and refuses compacted and future ones', async () => {
    t = openTestStore();
    const s = t.store;
    await s.put(put('k', 'v1')); // 2
    await s.put(put('k', 'v2')); // 3
    await s.deleteRange({ key: b('k'), rangeEnd: b(''), prevKv: false }); // 4
    await s.put(put('k', 'v3')); // 5
    const at = (rev: number) =>
      rangeOf(s, rangeReq('k', '', { revision: rev })).kvs.map(
        (kv) => `${kv.value}@${kv.version}/${kv.createRevision}`,
      );
    expect(at(2)).toEqual(['v1@1/2']);
    expect(at(3)).toEqual(['v2@2/2']);
    expect(at(4)).toEqual([]);
    expect(at(5)).toEqual(['v3@1/5']);
    expect(() => rangeOf(s, rangeReq('k', '', { revision: 6 }))).toThrow('required revision is a future revision');
    await s.compact(3, true);
    expect(() => rangeOf(s, rangeReq('k', '', { revision: 2 }))).toThrow('required revision has been compacted');
    expect(at(3)).toEqual(['v2@2/2']);
    await expect(s.compact(3, false)).rejects.toThrow('has been compacted');
    await expect(s.compact(9, false)).rejects.toThrow('future revision');
  });

  it('counts before the min/max filters and sorts only the fetched keys', async () => {
    t = openTestStore();
    const s = t.store;
    for (const k of ['a', 'b', 'c', 'd']) await s.put(put(k, k));
    await s.put(put('a', 'again'));
    // mod revisions: b=3, c=4, d=5, a=6
    const filtered = rangeOf(s, rangeReq('a', 'z', { minModRevision: 4 }));
    expect(filtered.count).toBe(4);
    expect(keys(filtered.kvs)).toEqual(['a', 'c', 'd']);
    const byMod = rangeOf(s, rangeReq('a', 'z', { sortTarget: 'MOD', sortOrder: 'DESCEND', limit: 2 }));
    expect(keys(byMod.kvs)).toEqual(['a', 'd']);
    expect(byMod.more).toBe(true);
  });
});

describe('transactions', () => {
  it('evaluates every compare before any operation, and reads see earlier writes', async () => {
    t = openTestStore();
    const s = t.store;
    await s.put(put('k', '1'));
    const res = await s.txn({
      compare: [],
      success: [
        { put: put('k', '2') },
        { range: rangeReq('k') },
        {
          txn: {
            // still sees version 1: compares run against the state before the txn
            compare: [{ key: b('k'), rangeEnd: b(''), target: 'VERSION', result: 'EQUAL', number: 1n, value: b('') }],
            success: [{ put: put('n', 'yes') }],
            failure: [{ put: put('n', 'no') }],
          },
        },
      ],
      failure: [],
    });
    expect(res.succeeded).toBe(true);
    const read = res.responses[1] as { range: { kvs: Array<{ value: Buffer }> } };
    expect(read.range.kvs[0]!.value.toString()).toBe('2');
    expect(rangeOf(s, rangeReq('n')).kvs[0]!.value.toString()).toBe('yes');
  });

  it('is all or nothing when an operation fails its checks', async () => {
    t = openTestStore();
    const s = t.store;
    await expect(
      s.txn({ compare: [], success: [{ put: put('a', '1') }, { put: put('b', '1', 77n) }], failure: [] }),
    ).rejects.toThrow('requested lease not found');
    expect(rangeOf(s, rangeReq('a')).kvs).toHaveLength(0);
    expect(s.revision).toBe(1);
  });

  it('undoes a txn that fails part-way, leaving the rest of its batch alone', async () => {
    t = openTestStore(SPLIT);
    const s = t.store;
    await s.put(put('/b/keep', 'v'));
    // The shape that makes etcd 3.4 panic: delete to the end, then put ignore_value a deleted key.
    const bad = s.txn({
      compare: [],
      success: [
        { deleteRange: { key: b('/a'), rangeEnd: b('\0'), prevKv: false } },
        { put: { ...put('/b/keep', ''), ignoreValue: true } },
      ],
      failure: [],
    });
    const good = s.put(put('/a/other', '1'));
    await expect(bad).rejects.toThrow('etcdserver: key not found');
    expect((await good).revision).toBe(3);
    expect(keys(rangeOf(s, rangeReq('/', '0')).kvs)).toEqual(['/a/other', '/b/keep']);
    expect(s.revision).toBe(3);
  });

  it('writes a transaction spanning backends atomically at one revision', async () => {
    t = openTestStore(SPLIT);
    const s = t.store;
    const seen: Revision[] = [];
    s.onCommit((r) => seen.push(...r));
    const res = await s.txn(putTxn({ '/a/x': '1', '/b/x': '2', '/c/x': '3' }));
    expect(res.revision).toBe(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.changes.map((c) => `${c.backend}:${c.kv.key}`)).toEqual(['alpha:/a/x', 'beta:/b/x', 'main:/c/x']);
  });
});

describe('leases', () => {
  it('deletes attached keys in one revision on revoke and survives a restart', async () => {
    t = openTestStore(SPLIT);
    const s = t.store;
    const { id } = await s.leaseGrant(0n, 60);
    await s.put(put('/a/l', '1', id));
    await s.put(put('/b/l', '2', id));
    await t.store.close();
    const s2 = t.reopen();
    expect(s2.leaseTimeToLive(id, true)?.keys.map(String)).toEqual(['/a/l', '/b/l']);
    await s2.leaseRevoke(id);
    expect(s2.revision).toBe(4);
    expect(rangeOf(s2, rangeReq('/', '0')).count).toBe(0);
    await expect(s2.leaseRevoke(id)).rejects.toBeInstanceOf(EtcdError);
  });

  it('refuses a duplicate lease ID and raises tiny TTLs to the minimum', async () => {
    t = openTestStore();
    expect(await t.store.leaseGrant(5n, 1)).toEqual({ id: 5n, ttl: 2 });
    await expect(t.store.leaseGrant(5n, 10)).rejects.toThrow('lease already exists');
    await expect(t.store.leaseGrant(0n, 9_000_000_001)).rejects.toThrow('too large lease TTL');
  });
});

describe('durability', () => {
  it('syncs every commit of every file unless fsync is off (backends after COMMIT, meta.db in it), its WAL cut back at the limit', async () => {
    t = openTestStore(SPLIT);
    // The test store runs without fsync; check both settings on real files.
    for (const p of Object.values(t.store.pragmas()))
      expect(p).toEqual({
        journalMode: 'wal',
        synchronous: 0,
        commitSync: 'none',
        secureDelete: 1,
        journalSizeLimit: 32 * 1024 * 1024,
      });
    await t.store.close();
    const { RevisionStore } = await import('./store.js');
    const pino = (await import('pino')).default;
    const { registry } = await import('../drivers/registry.js');
    const durable = new RevisionStore({
      dataDir: t.dir,
      topology: t.topology,
      fsync: true,
      walSizeLimitBytes: 1024 * 1024,
      opener: registry,
      logger: pino({ level: 'silent' }),
    });
    // --wal-size-limit reaches every file, meta.db and the routed backends included. The backend files commit with
    // NORMAL and are acknowledged only after an fdatasync of their WAL; meta.db's revision log is synced inside its
    // COMMIT (FULL), before any backend file commits a revision that spans files.
    const pragmas = durable.pragmas();
    expect(Object.keys(pragmas).sort()).toEqual(['alpha', 'beta', 'main', 'meta'].sort());
    for (const [name, p] of Object.entries(pragmas)) {
      const sync =
        name === 'meta' ? { synchronous: 2, commitSync: 'in-commit' } : { synchronous: 1, commitSync: 'fdatasync' };
      expect(p, name).toEqual({ journalMode: 'wal', ...sync, secureDelete: 1, journalSizeLimit: 1024 * 1024 });
    }
    t.store = durable;
  });
});

describe('crash recovery', () => {
  it('re-applies a logged cross-backend revision that one file never committed', async () => {
    t = openTestStore(SPLIT);
    await t.store.txn(putTxn({ '/a/x': '1', '/b/x': '2' }));
    await t.store.close();
    // Simulate a crash between meta.db's commit and beta.db's: beta loses the revision.
    const Database = (await import('better-sqlite3')).default;
    const beta = new Database(`${t.dir}/beta.db`);
    beta.exec("DELETE FROM kv; UPDATE meta SET value = 1 WHERE name = 'last_revision'");
    beta.close();
    const s = t.reopen();
    const got = rangeOf(s, rangeReq('/', '0')).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}`);
    expect(got).toEqual(['/a/x=1@2', '/b/x=2@2']);
    expect(s.revision).toBe(2);
  });
});

describe('lease expiry', () => {
  it('deletes the keys of an expired lease in one revision, and a restart restarts the clock', async () => {
    let now = 1_000_000;
    t = openTestStore(SPLIT, { now: () => now });
    const { id } = await t.store.leaseGrant(0n, 10);
    await t.store.put(put('/a/e', '1', id));
    await t.store.put(put('/c/e', '2', id));
    now += 9_000;
    t.store.expireLeases();
    expect(t.store.leaseTimeToLive(id, false)?.ttl).toBe(1);
    await t.store.close();
    t.reopen();
    now += 5_000;
    t.store.expireLeases();
    expect(t.store.leaseTimeToLive(id, false)?.ttl).toBe(5);
    now += 6_000;
    const seen: Revision[] = [];
    t.store.onCommit((r) => seen.push(...r));
    t.store.expireLeases();
    await new Promise((r) => setImmediate(r));
    expect(seen.map((r) => r.changes.map((c) => `${c.type} ${c.kv.key}`))).toEqual([['delete /a/e', 'delete /c/e']]);
    expect(t.store.leaseTimeToLive(id, false)).toBeUndefined();
  });
});

describe('auto-compaction', () => {
  it('keeps the configured number of revisions', async () => {
    t = openTestStore();
    for (let i = 0; i < 10; i++) await t.store.put(put('k', String(i)));
    const { AutoCompactor } = await import('./auto-compactor.js');
    const c = new AutoCompactor({
      mode: 'revision',
      retention: 3,
      log: (await import('pino')).default({ level: 'silent' }),
      revision: () => t.store.revision,
      compactRevision: () => t.store.compactRevision,
      compact: (rev) => t.store.compact(rev, true),
    });
    await c.tick();
    c.stop();
    expect(t.store.compactRevision).toBe(8);
    expect(() => rangeOf(t.store, rangeReq('k', '', { revision: 7 }))).toThrow('compacted');
    expect(rangeOf(t.store, rangeReq('k', '', { revision: 8 })).kvs[0]!.value.toString()).toBe('6');
  });

  it('keeps the configured span of time', async () => {
    let now = 0;
    t = openTestStore();
    const { AutoCompactor } = await import('./auto-compactor.js');
    const c = new AutoCompactor({
      mode: 'periodic',
      retention: 60_000,
      now: () => now,
      log: (await import('pino')).default({ level: 'silent' }),
      revision: () => t.store.revision,
      compactRevision: () => t.store.compactRevision,
      compact: (rev) => t.store.compact(rev, true),
    });
    await t.store.put(put('k', 'old'));
    await c.tick(); // t=0 sees revision 2
    now = 30_000;
    await t.store.put(put('k', 'mid'));
    await c.tick(); // t=30s sees revision 3
    expect(t.store.compactRevision).toBe(-1);
    now = 61_000;
    await c.tick();
    c.stop();
    expect(t.store.compactRevision).toBe(2);
  });
});
