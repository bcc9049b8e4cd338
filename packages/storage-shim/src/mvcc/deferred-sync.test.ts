import Database from 'better-sqlite3';
import { fdatasync, fdatasyncSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../drivers/registry.js';
import { SqliteDriver } from '../drivers/sqlite-driver.js';
import type { Datasync, DatasyncNow } from '../drivers/wal-sync.js';
import { parseTopology } from '../routing/topology.js';
import type { BackendDriver, BackendOpener } from './backend.js';
import { type Revision, RevisionStore } from './store.js';
import { b, put, rangeReq, rangeOf } from './test-helpers.js';

/**
 * The SQLite write path with fsync on: COMMIT writes the WAL, the WAL's
 * fdatasync runs in the thread pool, and only then is the batch answered,
 * visible and watched. The fdatasync here is the real one, held back (or
 * failed) on demand, so "pending" is a state the test controls.
 */
class HeldSync {
  /** Syncs through the thread pool, and on the event loop's thread (a lone batch). */
  calls = 0;
  nowCalls = 0;
  hold = false;
  fail: string | undefined;
  readonly #held: Array<() => void> = [];

  readonly datasync: Datasync = (fd, done) => {
    this.calls++;
    const run = () => {
      const err = this.#error();
      if (err) done(err);
      else fdatasync(fd, done);
    };
    if (this.hold) this.#held.push(run);
    else run();
  };

  readonly datasyncNow: DatasyncNow = (fd) => {
    this.nowCalls++;
    const err = this.#error();
    if (err) throw err;
    fdatasyncSync(fd);
  };

  #error(): NodeJS.ErrnoException | undefined {
    if (!this.fail) return undefined;
    const err: NodeJS.ErrnoException = new Error(`${this.fail}: i/o error`);
    err.code = this.fail;
    return err;
  }

  get pending(): number {
    return this.#held.length;
  }

  release(): void {
    this.hold = false;
    for (const run of this.#held.splice(0)) run();
  }
}

let dir: string;
let store: RevisionStore;
let sync: HeldSync;

/** `overlap: false` hides the drivers' syncsAfterCommit, as a network database's driver has none. */
function open({ overlap = true } = {}): RevisionStore {
  const driver = (path: string, fsync: boolean): BackendDriver => {
    const d = new SqliteDriver({ path, fsync, datasync: sync.datasync, datasyncNow: sync.datasyncNow });
    if (overlap) return d;
    return new Proxy(d, {
      get(target, prop) {
        if (prop === 'syncsAfterCommit') return undefined;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const opener: BackendOpener = {
    openMeta: (dataDir, options) => registry.openMeta(dataDir, options),
    openDefault: (dataDir, options) => driver(join(dataDir, 'main.db'), options.fsync),
    open: (endpoint, options) => driver(endpoint.location, options.fsync),
  };
  const topology = parseTopology('backends: [{ name: a, endpoint: "sqlite://a.db", prefix: { prefix: "/a/" } }]', {
    file: join(dir, 'topology.yaml'),
    dataDir: dir,
  });
  return new RevisionStore({ dataDir: dir, topology, fsync: true, opener, logger: pino({ level: 'silent' }) });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

const values = (s: RevisionStore, key: string, end = '') =>
  rangeOf(s, rangeReq(key, end)).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}`);

afterEach(async () => {
  sync.release();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a SQLite commit synced off the event loop', () => {
  it('answers, shows and watches a batch only after its WAL sync; reads meanwhile see the last durable revision', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    await store.put(put('/a/k', 'v1'));
    await store.put(put('/m/gone', 'x'));
    const durable = store.revision;
    const notified: number[] = [];
    store.onCommit((revisions: Revision[]) => notified.push(...revisions.map((r) => r.revision)));

    // Both lone writes above were synced on the event loop's thread; two requests in one batch use the pool.
    expect([sync.nowCalls, sync.calls]).toEqual([2, 0]);
    sync.hold = true;
    let acked = false;
    const companion = store.put(put('/a/c', 'c'));
    const update = store.txn({
      compare: [],
      success: [
        { put: put('/a/k', 'v2') },
        { put: put('/a/new', 'n') },
        { deleteRange: { key: b('/m/gone'), rangeEnd: Buffer.alloc(0), prevKv: false } },
      ],
      failure: [],
    });
    void Promise.resolve(update).then(() => (acked = true));
    // COMMIT has run in both files (the rows are in them); their WAL syncs are what is pending.
    await until(() => sync.pending === 2);
    const onDisk = new Database(join(dir, 'a.db'), { readonly: true });
    expect(onDisk.prepare("SELECT value FROM kv WHERE key = CAST('/a/k' AS BLOB)").pluck().get()).toEqual(b('v2'));
    onDisk.close();

    expect(acked).toBe(false);
    expect(notified).toEqual([]);
    expect(store.revision).toBe(durable);
    // Point reads, ranges, counts, a read-only txn and a read at the pending revision: none sees it.
    expect(values(store, '/a/k')).toEqual([`/a/k=v1@${durable - 1}`]);
    expect(values(store, '/m/gone')).toEqual([`/m/gone=x@${durable}`]);
    expect(values(store, '/', '0')).toEqual([`/a/k=v1@${durable - 1}`, `/m/gone=x@${durable}`]);
    expect(rangeOf(store, rangeReq('/', '0', { countOnly: true })).count).toBe(2);
    expect(rangeOf(store, rangeReq('/a/', '/a0', { limit: 1 }))).toMatchObject({
      count: 1,
      more: false,
      revision: durable,
    });
    const txn = await store.txn({
      compare: [
        { key: b('/a/k'), target: 'VALUE', result: 'EQUAL', value: b('v1'), number: 0n, rangeEnd: Buffer.alloc(0) },
      ],
      success: [{ range: rangeReq('/a/new') }],
      failure: [],
    });
    expect(txn).toMatchObject({ succeeded: true, revision: durable });
    expect(() => rangeOf(store, rangeReq('/a/k', '', { revision: durable + 1 }))).toThrow('future revision');
    expect(store.hashKv(0).revision).toBe(durable);

    // Writes arriving meanwhile wait for the next batch (this one spans files: nothing may overlap it).
    const next = store.put(put('/a/later', 'l'));
    await new Promise((r) => setTimeout(r, 10));
    expect(sync.calls).toBe(2);

    sync.release();
    expect((await companion).revision).toBe(durable + 1);
    expect((await update).revision).toBe(durable + 2);
    expect((await next).revision).toBe(durable + 3);
    // The last one was alone again, with nothing in flight.
    expect([sync.nowCalls, sync.calls]).toEqual([3, 2]);
    expect(notified).toEqual([durable + 1, durable + 2, durable + 3]);
    expect(values(store, '/', '0')).toEqual([
      `/a/c=c@${durable + 1}`,
      `/a/k=v2@${durable + 2}`,
      `/a/later=l@${durable + 3}`,
      `/a/new=n@${durable + 2}`,
    ]);
  });

  it('syncs every file a cross-file batch touched before answering it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    sync.hold = true;
    let acked = false;
    const both = store.txn({
      compare: [],
      success: [{ put: put('/a/x', '1') }, { put: put('/m/x', '2') }],
      failure: [],
    });
    void Promise.resolve(both).then(() => (acked = true));
    await until(() => sync.pending === 2);
    expect(acked).toBe(false);
    expect(values(store, '/', '0')).toEqual([]);
    sync.release();
    expect((await both).revision).toBe(2);
    expect(values(store, '/', '0')).toEqual(['/a/x=1@2', '/m/x=2@2']);
  });

  it('syncs a lone write with nothing in flight on the event loop thread: durable when answered, no pool round trip', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    sync.hold = true;
    // Held syncs would never return: the lone write does not wait for one.
    expect((await store.put(put('/a/k', 'v'))).revision).toBe(2);
    expect((await store.txn({ compare: [], success: [{ put: put('/m/k', 'v') }], failure: [] })).revision).toBe(3);
    expect([sync.nowCalls, sync.calls, sync.pending]).toEqual([2, 0, 0]);
    expect(values(store, '/', '0')).toEqual(['/a/k=v@2', '/m/k=v@3']);
  });

  it('refuses the batch whose sync failed and every write after it, and never shows its rows', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    await store.put(put('/a/k', 'v1'));
    sync.fail = 'EIO';
    await expect(store.put(put('/a/k', 'v2'))).rejects.toThrow(/fdatasync failed \(EIO\)/);
    expect(store.revision).toBe(2);
    expect(values(store, '/a/k')).toEqual(['/a/k=v1@2']);
    sync.fail = undefined;
    // A later sync could succeed without the pages the failed one lost: no more writes until a restart.
    await expect(store.put(put('/m/other', 'x'))).rejects.toThrow('etcdserver: server stopped');
    await store.close();
    // The restart starts from what is on disk (here the kernel kept the page: v2 is there).
    store = open();
    expect((await store.put(put('/m/after', 'y'))).revision).toBe(4);
  });
});

describe('a batch overlapping the sync of the one before', () => {
  const inFile = (file: string, key: string): boolean => {
    const raw = new Database(join(dir, file), { readonly: true });
    try {
      return raw.prepare('SELECT 1 FROM kv WHERE key = ?').get(b(key)) !== undefined;
    } finally {
      raw.close();
    }
  };
  const createIfAbsent = (key: string) => ({
    compare: [
      {
        key: b(key),
        target: 'MOD' as const,
        result: 'EQUAL' as const,
        number: 0n,
        value: Buffer.alloc(0),
        rangeEnd: Buffer.alloc(0),
      },
    ],
    success: [{ put: put(key, 'created') }],
    failure: [{ range: rangeReq(key) }],
  });

  it('is applied while the first syncs when it writes only that file, and answered after it, in order', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    const answered: string[] = [];
    const track = <T>(name: string, p: Promise<T> | T) => Promise.resolve(p).then((r) => (answered.push(name), r));
    sync.hold = true;
    // Two requests, so the batch syncs in the pool (a lone one, with nothing in flight, syncs inline).
    const first = track('first', store.put(put('/a/1', 'one')));
    const companion = track('companion', store.put(put('/a/1b', 'b')));
    await until(() => sync.pending === 1);
    const second = track('second', store.put(put('/a/2', 'two')));
    // Its compare reads the first batch's (not yet durable) row: its answer must wait for that batch too.
    const refused = track('refused', store.txn(createIfAbsent('/a/1')));
    const elsewhere = track('elsewhere', store.put(put('/m/x', 'main')));
    await until(() => inFile('a.db', '/a/2'));
    await new Promise((r) => setTimeout(r, 20));
    // The write to another file waits: it could otherwise reach the disk without the first batch.
    expect(inFile('main.db', '/m/x')).toBe(false);
    expect(answered).toEqual([]);
    expect(store.revision).toBe(1);
    expect(values(store, '/', '0')).toEqual([]);

    sync.release();
    expect((await first).revision).toBe(2);
    expect((await companion).revision).toBe(3);
    expect((await second).revision).toBe(4);
    expect(await refused).toMatchObject({ succeeded: false, revision: 4 });
    expect((await elsewhere).revision).toBe(5);
    expect(answered.slice(0, 3)).toEqual(['first', 'companion', 'second']);
    expect(answered).toContain('refused');
    expect(answered.at(-1)).toBe('elsewhere');
    expect(values(store, '/', '0')).toEqual(['/a/1=one@2', '/a/1b=b@3', '/a/2=two@4', '/m/x=main@5']);
  });

  it('waits, as before, when the driver cannot commit before the previous commit resolved', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open({ overlap: false });
    sync.hold = true;
    const first = [store.put(put('/a/1', 'one')), store.put(put('/a/1b', 'b'))];
    await until(() => sync.pending === 1);
    const second = store.put(put('/a/2', 'two'));
    await new Promise((r) => setTimeout(r, 20));
    expect(inFile('a.db', '/a/2')).toBe(false);
    sync.release();
    expect([...(await Promise.all(first)).map((r) => r.revision), (await second).revision]).toEqual([2, 3, 4]);
  });

  it('is refused, never shown, when the batch under it could not be made durable', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    await store.put(put('/a/0', 'zero'));
    sync.hold = true;
    const first = store.put(put('/a/1', 'one'));
    const companion = store.put(put('/a/1b', 'b'));
    await until(() => sync.pending === 1);
    // Overlaps alone and writes nothing: its answer rests on the first batch's row all the same.
    const refused = Promise.resolve(store.txn(createIfAbsent('/a/1')));
    await new Promise((r) => setTimeout(r, 10));
    // Two batches in flight: this one waits for the next round, and is refused with the store.
    const second = store.put(put('/a/2', 'two'));
    await new Promise((r) => setTimeout(r, 10));
    expect(inFile('a.db', '/a/2')).toBe(false);
    sync.fail = 'EIO';
    sync.release();
    await expect(first).rejects.toThrow(/fdatasync failed \(EIO\)/);
    await expect(companion).rejects.toThrow(/fdatasync failed \(EIO\)/);
    await expect(refused).rejects.toThrow(/could not be made durable/);
    await expect(second).rejects.toThrow(/fdatasync failed \(EIO\)/);
    expect(store.revision).toBe(2);
    expect(values(store, '/', '0')).toEqual(['/a/0=zero@2']);
  });
});

describe('the WAL descriptor', () => {
  it('keeps naming the -wal file across checkpoints that restart, truncate and vacuum it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-deferred-sync-'));
    sync = new HeldSync();
    store = open();
    const path = join(dir, 'solo.db');
    const driver = new SqliteDriver({ path, fsync: true, datasync: sync.datasync });
    const other = new Database(path);
    try {
      const write = async (n: number) => {
        driver.begin();
        driver.put(
          { key: b(`/k${n}`), value: Buffer.alloc(4096, n), createRevision: n, modRevision: n, version: 1, lease: 0n },
          0,
          undefined,
        );
        await driver.commit(n);
      };
      await write(2);
      expect(driver.walDescriptorIsCurrent()).toBe(true);
      for (const mode of ['PASSIVE', 'RESTART', 'TRUNCATE']) {
        // The checkpoint worker's connection, as in checkpoint-worker.ts.
        other.pragma(`wal_checkpoint(${mode})`);
        await write(3);
        expect(driver.walDescriptorIsCurrent(), mode).toBe(true);
      }
      driver.defragment();
      await write(4);
      expect(driver.walDescriptorIsCurrent()).toBe(true);
      expect(sync.calls).toBe(5);
    } finally {
      other.close();
      driver.close();
    }
  });
});
