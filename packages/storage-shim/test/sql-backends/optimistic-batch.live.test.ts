import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put } from '../../src/mvcc/test-helpers.js';
import type { RevisionStore } from '../../src/mvcc/store.js';
import type { Compare, TxnRequest } from '../../src/types.js';
import { rangeRequest, useInProcessReplicas } from '../support/in-process-replicas.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * A replica sends a batch of single-key writes optimistically: applied
 * against the rows its own last batches left, and sent with the revision
 * lock, a guard and the COMMIT as one message (docs/replicas.md, "A lone
 * write"). The database checks under the lock that nobody took a revision
 * since and that every row the batch read is as it took it; otherwise it
 * refuses the whole message and the batch goes under the lock as before.
 *
 * Two real replicas in this process, on a private PostgreSQL and a private
 * MariaDB; nothing is injected. What the store did is read from its
 * counters (`stats.optimistic`, `stats.refused`), what it wrote from the
 * other replica and the tables.
 */
const replicas = useInProcessReplicas();

const modIs = (key: string, revision: number): Compare => ({
  key: Buffer.from(key),
  rangeEnd: Buffer.alloc(0),
  target: 'MOD',
  result: 'EQUAL',
  number: BigInt(revision),
  value: Buffer.alloc(0),
});

/** The apiserver's update: the new value if the key is still at `revision`, else its current row. */
const update = (key: string, revision: number, value: string): TxnRequest => ({
  compare: [modIs(key, revision)],
  success: [{ put: put(key, value) }],
  failure: [{ range: rangeRequest({ key: Buffer.from(key) }) }],
});

async function valueOn(store: RevisionStore, key: string, revision = 0): Promise<string> {
  const r = await store.range(rangeRequest({ key: Buffer.from(key), revision }));
  return r.kvs.map((kv) => `${kv.value.toString()} v${kv.version} c${kv.createRevision} m${kv.modRevision}`).join();
}

describe.each(SQL_SERVERS)('optimistic batches of replicas on $name', (server) => {
  const missing = server.missing();
  if (missing) console.warn(`skipping the optimistic-batch tests on ${server.name}: ${missing}`);
  let handle: SqlServerHandle;
  let databases = 0;

  beforeAll(async () => {
    if (!missing) handle = await server.start();
  }, 120_000);
  afterAll(async () => handle?.stop());

  /** A database of its own for each test: its name and URL. */
  async function database(): Promise<{ name: string; url: string }> {
    const name = `optimistic${++databases}`;
    await handle.createDatabase(name);
    return { name, url: handle.url(name) };
  }

  async function pair(): Promise<{ a: RevisionStore; b: RevisionStore }> {
    return replicas.pair({ main: (await database()).url });
  }

  it.skipIf(missing)(
    'commits a lone write in one message, answering as a write under the lock would',
    async () => {
      const { a, b } = await pair();
      const one = await a.put(put('/k/1', 'one'));
      const two = await a.put({ ...put('/k/1', 'two'), prevKv: true });
      const created = await a.txn({
        compare: [modIs('/k/2', 0)],
        success: [{ put: put('/k/2', 'new') }],
        failure: [],
      });
      expect(a.stats).toMatchObject({ optimistic: 3, refused: 0 });

      expect(two.revision).toBe(one.revision + 1);
      expect(created).toMatchObject({ succeeded: true, revision: two.revision + 1 });
      expect(two.prevKv).toMatchObject({ version: 1, createRevision: one.revision, modRevision: one.revision });
      expect(two.prevKv?.value.toString()).toBe('one');
      // Read on the other replica: what the database holds, at each revision.
      expect(await valueOn(b, '/k/1')).toBe(`two v2 c${one.revision} m${two.revision}`);
      expect(await valueOn(b, '/k/1', one.revision)).toBe(`one v1 c${one.revision} m${one.revision}`);
      expect(await valueOn(b, '/k/2')).toBe(`new v1 c${created.revision} m${created.revision}`);
    },
    60_000,
  );

  it.skipIf(missing)(
    'is refused once another replica wrote, and commits under the lock in revision order, each revision delivered once',
    async () => {
      const { a, b } = await pair();
      const delivered: number[] = [];
      a.onCommit((revisions) => delivered.push(...revisions.map((r) => r.revision)));
      const one = await a.put(put('/k/1', 'one'));
      const two = await b.put(put('/k/1', 'two'));
      const three = await a.put({ ...put('/k/1', 'three'), prevKv: true });
      expect(a.stats).toMatchObject({ optimistic: 1, refused: 1 });

      expect([one.revision, two.revision, three.revision]).toEqual([one.revision, one.revision + 1, one.revision + 2]);
      // The row a's guard was refused on is b's: a's own last write was no longer current.
      expect(three.prevKv?.value.toString()).toBe('two');
      expect(await valueOn(b, '/k/1')).toBe(`three v3 c${one.revision} m${three.revision}`);
      expect(delivered).toEqual([one.revision, two.revision, three.revision]);
    },
    60_000,
  );

  it.skipIf(missing)(
    'is refused for a key it took to have no row, with nothing written, and updates it under the lock',
    async () => {
      const { name, url } = await database();
      const first = replicas.open({ main: url });
      await first.recovered;
      const one = await first.put(put('/k/1', 'one'));
      // A replica that never saw the key: its plain Put takes it to be new, and the guard finds it is not.
      const fresh = replicas.open({ main: url });
      await fresh.recovered;
      const two = await fresh.put({ ...put('/k/1', 'two'), prevKv: true });
      expect(fresh.stats).toMatchObject({ optimistic: 0, refused: 1 });

      expect(two.revision).toBe(one.revision + 1);
      expect(two.prevKv?.value.toString()).toBe('one');
      expect(await valueOn(first, '/k/1')).toBe(`two v2 c${one.revision} m${two.revision}`);
      // The refused message wrote nothing: one version of the key in history, the one the update superseded.
      const admin = await handle.connect(name);
      try {
        const { rows } = await admin.query('SELECT count(*) AS n FROM history');
        expect(Number(rows[0]!.n)).toBe(1);
      } finally {
        await admin.end();
      }
      // After a refusal the next batch takes the lock anyway; the one after that goes in one message again,
      // the key now among the rows of the replica's last batch.
      await fresh.put(put('/k/1', 'three'));
      expect(fresh.stats).toMatchObject({ optimistic: 0, refused: 1 });
      await fresh.put(put('/k/1', 'four'));
      expect(fresh.stats).toMatchObject({ optimistic: 1, refused: 1 });
    },
    60_000,
  );

  it.skipIf(missing)(
    'takes under the lock, without a refusal, a write it cannot answer from memory',
    async () => {
      const { url } = await database();
      const first = replicas.open({ main: url });
      await first.recovered;
      const one = await first.put(put('/k/1', 'one'));
      const { id } = await first.leaseGrant(0n, 60);

      const fresh = replicas.open({ main: url });
      await fresh.recovered;
      // An update of a key it never saw: the compare says the key exists, so the batch does not guess it has none.
      const updated = await fresh.txn(update('/k/1', one.revision, 'two'));
      // A put with a lease reads the lease; a delete of a range reads the range.
      await fresh.put(put('/k/2', 'leased', id));
      const deleted = await fresh.deleteRange({
        key: Buffer.from('/k/'),
        rangeEnd: Buffer.from('/k0'),
        prevKv: false,
      });
      expect(fresh.stats).toMatchObject({ optimistic: 0, refused: 0 });

      expect(updated.succeeded).toBe(true);
      expect(deleted.deleted).toBe(2);
      expect(await valueOn(first, '/k/1', updated.revision)).toBe(`two v2 c${one.revision} m${updated.revision}`);
    },
    60_000,
  );

  it.skipIf(missing)(
    'ends a batch whose compares all failed with a ROLLBACK: no durable COMMIT, the lock given back',
    async () => {
      const { name, url } = await database();
      const { a, b } = await replicas.pair({ main: url });
      const one = await a.put(put('/k/1', 'one'));
      const admin = await handle.connect(name);
      // PostgreSQL: the transaction that last wrote the row. A COMMIT of the batch rewrites it, even to the same value.
      const lastWriter = async () =>
        server.dialect.name === 'postgres'
          ? (await admin.query("SELECT xmin::text AS x FROM meta WHERE name = 'last_revision'")).rows[0]!.x
          : undefined;
      try {
        const before = await lastWriter();
        const fsyncs = a.stats.fsyncs;
        // The apiserver's update from a stale revision: the compare fails, the answer is the current row.
        const stale = await a.txn(update('/k/1', one.revision - 1, 'lost'));
        expect(stale.succeeded).toBe(false);
        expect(stale.revision).toBe(one.revision);
        const answer = stale.responses[0];
        expect(answer && 'range' in answer ? answer.range.kvs.map((kv) => kv.value.toString()) : []).toEqual(['one']);
        // A create of a key that exists: refused by its guard, then answered under the lock.
        const again = await a.txn({ compare: [modIs('/k/1', 0)], success: [{ put: put('/k/1', 'x') }], failure: [] });
        expect(again.succeeded).toBe(false);
        expect(a.stats.fsyncs).toBe(fsyncs);
        expect(await lastWriter()).toBe(before);
        // The lock was given back: the other replica writes at once, at the next revision.
        const two = await b.put(put('/k/1', 'two'));
        expect(two.revision).toBe(one.revision + 1);
        expect(await valueOn(a, '/k/1')).toBe(`two v2 c${one.revision} m${two.revision}`);
        if (before !== undefined) expect(await lastWriter()).not.toBe(before);
      } finally {
        await admin.end();
      }
    },
    60_000,
  );
});
