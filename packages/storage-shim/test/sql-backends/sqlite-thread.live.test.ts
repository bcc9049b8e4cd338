import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../src/drivers/sqlite-driver.js';
import { SqliteThreadDriver } from '../../src/drivers/sqlite-thread-driver.js';
import type { KeyValue } from '../../src/types.js';
import { call, connect, type EtcdClient } from '../support/client.js';
import { refusedStart, type ServerHandle, startStore } from '../support/processes.js';

/**
 * SQLite backends whose statements run on a worker thread of their own
 * (`sqlite://file.db?thread=worker`, sqlite-thread-driver.ts), through the
 * built store and its built worker: acknowledged writes survive a kill of the
 * store, compaction and leases work on them, a file moves between the worker
 * and the in-thread driver in both directions, and what the variant cannot do
 * is refused at start-up. The differential test against etcd runs on it too
 * (CNPAAS_DIFF_BACKEND=sqlite-worker).
 */
const k = (s: string) => Buffer.from(s);
/** The built worker: the driver's default URL names the .js beside the source, which only dist has. */
const WORKER = new URL('../../dist/drivers/sqlite-worker.js', import.meta.url);

const TOPOLOGY = `backends:
  - name: tenants
    endpoint: "sqlite://tenants.db?thread=worker"
    prefix: { prefix: "/t/" }
  - name: other
    endpoint: "sqlite://other.db?thread=worker"
    prefix: { prefix: "/o/" }
`;

describe('SQLite backends on worker threads, in the store', () => {
  let dataDir: string;
  let store: ServerHandle | undefined;
  let client: EtcdClient | undefined;
  afterEach(async () => {
    client?.kv.close();
    client?.lease.close();
    await store?.stop();
    store = client = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    store = await startStore({ dataDir, topology: TOPOLOGY });
    client = connect(store.target);
    return client;
  };

  it('keeps every acknowledged write, across files, under one revision, after the store is killed', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-sqlite-thread-'));
    const c = await start();
    // Concurrent puts share group commits; every one acknowledged must be there after the kill.
    const acked = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(c.kv, 'Put', { key: k(`/${i % 2 ? 't' : 'o'}/k${i}`), value: k(`v${i}`) }).then((r) => ({
          i,
          revision: Number(r.header.revision),
        })),
      ),
    );
    const revisions = acked.map((a) => a.revision).sort((x, y) => x - y);
    // One global revision: 200 puts, 200 distinct revisions, without gaps.
    expect(new Set(revisions).size).toBe(200);
    expect(revisions.at(-1)! - revisions[0]!).toBe(199);
    await store!.kill();
    client!.kv.close();
    client!.lease.close();

    const after = await start();
    for (const [prefix, end] of [
      ['/t/', '/t0'],
      ['/o/', '/o0'],
    ] as const) {
      const r = await call(after.kv, 'Range', { key: k(prefix), range_end: k(end) });
      expect(Number(r.count)).toBe(100);
      for (const kv of r.kvs as Array<{ key: Buffer; value: Buffer; mod_revision: string }>) {
        const i = Number(kv.key.toString().slice(4));
        expect(kv.value.toString()).toBe(`v${i}`);
        expect(Number(kv.mod_revision)).toBe(acked.find((a) => a.i === i)!.revision);
      }
    }
    const next = await call(after.kv, 'Put', { key: k('/t/next'), value: k('x') });
    expect(Number(next.header.revision)).toBe(revisions.at(-1)! + 1);
  });

  it('compacts history and revokes a lease with its keys', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-sqlite-thread-'));
    const c = await start();
    const first = await call(c.kv, 'Put', { key: k('/t/a'), value: k('1') });
    const second = await call(c.kv, 'Put', { key: k('/t/a'), value: k('2') });
    const old = await call(c.kv, 'Range', { key: k('/t/a'), revision: first.header.revision });
    expect(old.kvs[0].value.toString()).toBe('1');
    await call(c.kv, 'Compact', { revision: second.header.revision, physical: true });
    await expect(call(c.kv, 'Range', { key: k('/t/a'), revision: first.header.revision })).rejects.toThrow(
      /required revision has been compacted/,
    );

    const { ID } = await call(c.lease, 'LeaseGrant', { TTL: 60 });
    await call(c.kv, 'Put', { key: k('/o/leased'), value: k('x'), lease: ID });
    await call(c.kv, 'Put', { key: k('/t/leased'), value: k('x'), lease: ID });
    await call(c.lease, 'LeaseRevoke', { ID });
    const left = await call(c.kv, 'Range', { key: k('/'), range_end: k('0') });
    expect((left.kvs as Array<{ key: Buffer }>).map((kv) => kv.key.toString())).toEqual(['/t/a']);
  });

  it('refuses --label-index=on beside a worker endpoint, and a thread setting that is not one', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-sqlite-thread-'));
    const labels = await refusedStart({ topology: TOPOLOGY, extraArgs: ['--label-index=on'] });
    expect(labels.status).toBe(2);
    expect(labels.output).toContain('CNPAAS_STORE_SQLITE_WORKER_LABEL_INDEX');
    expect(labels.output).toContain('--label-index=off');
    const bad = await refusedStart({ topology: TOPOLOGY.replace('?thread=worker', '?thread=workers') });
    expect(bad.status).toBe(2);
    expect(bad.output).toContain('CNPAAS_STORE_BAD_TOPOLOGY');
    expect(bad.output).toContain('has thread=workers, which is not a setting');
  });
});

describe('a SQLite file moving between the in-thread driver and the worker', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kv = (key: string, revision: number): KeyValue => ({
    key: k(key),
    createRevision: revision,
    modRevision: revision,
    version: 1,
    lease: 0n,
    value: k(`v${revision}`),
  });
  const all = { start: k('/'), end: k('0') };
  const marks = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare("SELECT name FROM meta WHERE name LIKE '%_built' ORDER BY name").pluck().all();
    } finally {
      db.close();
    }
  };

  it("drops the in-thread driver's counts and label index, which it rebuilds with the worker's rows", async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-sqlite-thread-'));
    const path = join(dir, 'a.db');
    const inThread = new SqliteDriver({ path, fsync: true, labelIndex: true });
    inThread.begin();
    inThread.put(kv('/x/1', 1), 0, undefined);
    await inThread.commit(1);
    expect(inThread.count(all, null)).toBe(1);
    inThread.close();
    expect(marks(path)).toEqual(['counts_built', 'labels_built']);

    const worker = new SqliteThreadDriver({ path, fsync: true, worker: WORKER });
    expect(worker.settings()).toMatchObject({ synchronous: 2, commitSync: 'in-commit' });
    expect(worker.lastRevision()).toBe(1);
    await worker.prefetch([k('/x/2'), k('/x/3')]);
    worker.begin();
    worker.put(kv('/x/2', 2), 0, undefined);
    worker.put(kv('/x/3', 2), 1, undefined);
    await worker.commit(2);
    expect(worker.count(all, null)).toBe(3);
    // Status's dbSize counts the file and its WAL, as for the in-thread driver.
    const onDisk = statSync(path).size + statSync(`${path}-wal`).size;
    expect(worker.size().total).toBe(onDisk);
    expect(worker.size().inUse).toBeGreaterThan(0);
    expect(worker.size().inUse).toBeLessThanOrEqual(statSync(path).size);
    await worker.close();
    // Stale tables would count 1 key: the marks are gone, so the in-thread driver builds them again.
    expect(marks(path)).toEqual([]);

    const back = new SqliteDriver({ path, fsync: true, labelIndex: true });
    expect(back.lastRevision()).toBe(2);
    expect(back.count(all, null)).toBe(3);
    expect(back.range(all, null, -1).map((r) => r.key.toString())).toEqual(['/x/1', '/x/2', '/x/3']);
    back.close();
    expect(marks(path)).toEqual(['counts_built', 'labels_built']);
  });
});
