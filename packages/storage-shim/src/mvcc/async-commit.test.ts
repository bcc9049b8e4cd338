import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../drivers/registry.js';
import { SqliteDriver } from '../drivers/sqlite-driver.js';
import { BackendUnavailableError } from '../errors.js';
import { parseTopology } from '../routing/topology.js';
import type { BackendDriver, BackendOpener } from './backend.js';
import { RevisionStore } from './store.js';
import { b, put, rangeReq, rangeOf } from './test-helpers.js';

/**
 * The write path with a driver whose commit is asynchronous, as a network
 * database's will be: real SQLite files underneath, whose commits only
 * report back a little later (or fail).
 */
const LateCommit = { landed: 0, failNext: false, loseAnswerNext: false, unreachable: false };

function lateCommit(d: SqliteDriver): BackendDriver {
  const commit = (lastRevision: number): Promise<void> => {
    if (LateCommit.failNext) {
      LateCommit.failNext = false;
      d.rollback();
      return new Promise((_, reject) => setTimeout(() => reject(new Error('connection lost')), 20));
    }
    if (LateCommit.loseAnswerNext) {
      // The COMMIT lands, and the connection drops before its answer does: the outcome is unknown to the store.
      LateCommit.loseAnswerNext = false;
      void d.commit(lastRevision); // fsync off: COMMIT is all there is
      return new Promise((_, reject) => setTimeout(() => reject(new Error('connection lost')), 20));
    }
    void d.commit(lastRevision); // fsync off: COMMIT is all there is
    return new Promise((resolve) =>
      setTimeout(() => {
        LateCommit.landed++;
        resolve();
      }, 20),
    );
  };
  // A server that went away: every row write fails as a network driver's does.
  const write =
    (name: 'put' | 'delete') =>
    (...args: unknown[]): void => {
      if (LateCommit.unreachable) throw new BackendUnavailableError('etcdserver: backend test is unavailable');
      (d[name] as (...a: unknown[]) => void)(...args);
    };
  // Everything else is the real driver's; its methods use private fields, so bind them to it.
  return new Proxy(d, {
    get(target, prop) {
      if (prop === 'commit') return commit;
      if (prop === 'put' || prop === 'delete') return write(prop);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as BackendDriver;
}

const late: BackendOpener = {
  openMeta: (dataDir, options) => registry.openMeta(dataDir, options),
  openDefault: (dataDir, options) =>
    lateCommit(new SqliteDriver({ path: join(dataDir, 'main.db'), fsync: options.fsync })),
  open: (endpoint, options) => lateCommit(new SqliteDriver({ path: endpoint.location, fsync: options.fsync })),
};

/** The default backend as is, the routed one (`/a/`) with a late commit that can become unreachable. */
const lateRouted: BackendOpener = {
  openMeta: (dataDir, options) => registry.openMeta(dataDir, options),
  openDefault: (dataDir, options) => registry.openDefault(dataDir, options),
  open: (endpoint, options) => lateCommit(new SqliteDriver({ path: endpoint.location, fsync: options.fsync })),
};

let dir: string;
let store: RevisionStore;

function open(opener: BackendOpener): RevisionStore {
  const topology = parseTopology('backends: [{ name: a, endpoint: "sqlite://a.db", prefix: { prefix: "/a/" } }]', {
    file: join(dir, 'topology.yaml'),
    dataDir: dir,
  });
  return new RevisionStore({ dataDir: dir, topology, fsync: false, opener, logger: pino({ level: 'silent' }) });
}

afterEach(async () => {
  LateCommit.unreachable = false;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a driver whose commit is asynchronous', () => {
  it('answers and notifies only after the commit landed, and batches what arrived meanwhile', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    LateCommit.landed = 0;
    store = open(late);
    const notified: number[] = [];
    store.onCommit((revisions) => notified.push(LateCommit.landed, ...revisions.map((r) => r.revision)));

    const first = store.put(put('/a/1', 'x'));
    // Queued while the first batch's commit is in flight: it waits for the next batch.
    await new Promise((r) => setTimeout(r, 5));
    // Until the commit lands, nobody is told of revision 2.
    expect(store.revision).toBe(1);
    expect(rangeOf(store, rangeReq('/a/1')).revision).toBe(1);
    const second = store.put(put('/other', 'y'));
    expect((await first).revision).toBe(2);
    expect(LateCommit.landed).toBeGreaterThanOrEqual(1);
    expect((await second).revision).toBe(3);
    expect(LateCommit.landed).toBe(2);
    expect(store.stats.batches).toBe(2);
    expect(store.revision).toBe(3);
    // [landed before the listener ran, revision] per batch
    expect(notified).toEqual([1, 2, 2, 3]);
  });

  it('refuses the batch whose commit failed and carries on from the committed state', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    store = open(late);
    LateCommit.failNext = true;
    await expect(store.put(put('/a/lost', 'x'))).rejects.toThrow('etcdserver: connection lost');
    expect(store.revision).toBe(1);
    expect((await store.put(put('/a/kept', 'y'))).revision).toBe(2);
    expect(rangeOf(store, rangeReq('/a/', '/a0')).kvs.map((kv) => kv.key.toString())).toEqual(['/a/kept']);
  });

  it('after a COMMIT whose answer was lost, finds the revision in the database and tells the watchers, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    store = open(late);
    const notified: string[] = [];
    store.onCommit((revisions) => {
      for (const r of revisions) notified.push(`${r.revision}:${r.changes.map((c) => String(c.kv.key)).join(',')}`);
    });
    LateCommit.loseAnswerNext = true;
    await expect(store.put(put('/a/landed', 'x'))).rejects.toThrow('etcdserver: connection lost');
    // The next write first catches up with what the database holds: it takes revision 3, never 2 again.
    expect((await store.put(put('/a/next', 'y'))).revision).toBe(3);
    expect(notified).toEqual(['2:/a/landed', '3:/a/next']);
    expect(rangeOf(store, rangeReq('/a/', '/a0')).kvs.map((kv) => `${kv.key}@${kv.modRevision}`)).toEqual([
      '/a/landed@2',
      '/a/next@3',
    ]);
  });

  it('resyncs by itself after a failed COMMIT when no write comes, so reads catch up too', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    store = open(late);
    LateCommit.loseAnswerNext = true;
    await expect(store.put(put('/a/landed', 'x'))).rejects.toThrow('etcdserver: connection lost');
    // Until then reads stay at the acknowledged revision.
    expect(rangeOf(store, rangeReq('/a/landed')).kvs).toEqual([]);
    const deadline = Date.now() + 5_000;
    while (store.revision < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(rangeOf(store, rangeReq('/a/landed')).kvs.map((kv) => kv.modRevision)).toEqual([2]);
  });

  it('fails the whole batch when a backend is unreachable, so no txn over two backends commits in one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    store = open(lateRouted);
    LateCommit.unreachable = true;
    // The txn writes main.db first, then the unreachable backend; a put to main.db alone shares its batch.
    const txn = store.txn({
      compare: [],
      success: [{ put: put('/m/x', '1') }, { put: put('/a/x', '2') }],
      failure: [],
    });
    const alone = store.put(put('/m/alone', '3'));
    await expect(txn).rejects.toThrow('etcdserver: backend test is unavailable');
    await expect(alone).rejects.toThrow('etcdserver: backend test is unavailable');
    LateCommit.unreachable = false;
    expect(rangeOf(store, rangeReq('/', '0')).kvs).toEqual([]);
    expect((await store.put(put('/m/y', '4'))).revision).toBe(2);
  });

  it('close waits for the commit in flight, so nothing acknowledged is lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
    store = open(late);
    const pending = store.put(put('/a/k', 'v'));
    await new Promise((r) => setImmediate(r));
    await store.close();
    expect((await pending).revision).toBe(2);
    store = open(registry);
    expect(rangeOf(store, rangeReq('/a/k')).kvs[0]?.value).toEqual(b('v'));
  });

  describe('start-up recovery of a logged revision a backend lacks', () => {
    async function crashBetweenCommits(): Promise<void> {
      dir = mkdtempSync(join(tmpdir(), 'cnpaas-async-commit-'));
      store = open(registry);
      await store.txn({ compare: [], success: [{ put: put('/a/x', '1') }, { put: put('/m/x', '2') }], failure: [] });
      await store.close();
      // As if the process died after meta.db's revision log committed and before main.db did.
      const Database = (await import('better-sqlite3')).default;
      const main = new Database(join(dir, 'main.db'));
      main.exec("DELETE FROM kv; UPDATE meta SET value = 1 WHERE name = 'last_revision'");
      main.close();
    }

    it('re-applies it through an asynchronous commit before the first write', async () => {
      await crashBetweenCommits();
      store = open(late);
      expect((await store.put(put('/m/y', '3'))).revision).toBe(3);
      const got = rangeOf(store, rangeReq('/', '0')).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}`);
      expect(got).toEqual(['/a/x=1@2', '/m/x=2@2', '/m/y=3@3']);
    });

    it('refuses writes, and keeps serving reads, when that recovery fails', async () => {
      await crashBetweenCommits();
      LateCommit.failNext = true;
      store = open(late);
      await expect(store.put(put('/m/y', '3'))).rejects.toThrow('etcdserver: server stopped');
      await expect(store.put(put('/m/z', '4'))).rejects.toThrow('etcdserver: server stopped');
      expect(rangeOf(store, rangeReq('/a/x')).kvs.map((kv) => String(kv.value))).toEqual(['1']);
    });
  });
});
