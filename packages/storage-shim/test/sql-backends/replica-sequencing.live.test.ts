import Pg from 'pg';
import { describe, expect, it } from 'vitest';
import { put } from '../../src/mvcc/test-helpers.js';
import { injected, patchedOpener, until, useInProcessReplicas } from '../support/in-process-replicas.js';
import { postgresMissing } from '../support/postgres.js';

/**
 * How replicas order and share their writes, at the two points where a
 * failure must not let them go wrong silently.
 *
 * A replica catches up on other replicas' commits by reading their rows and
 * then the compact revision. If the database goes away between the two (a
 * server restart under load did it), the catch-up fails; the window it read
 * must then count as not delivered, so the next catch-up reads it again.
 * Before, the replica's revision moved first: the failed window counted as
 * delivered and its revisions never reached this replica's watchers.
 *
 * The failure is injected (the one fake here): the meta's compact-revision
 * read throws once, right after a catch-up has read rows. Everything else
 * is two real stores on a private PostgreSQL.
 *
 * Every write takes the main database's `last_revision` row with FOR UPDATE.
 * Without that row the lock locks nothing and two replicas would take one
 * revision: the store refuses writes instead, naming the row and the fix.
 */
const replicas = useInProcessReplicas();

/** The meta's compact-revision read failing once after a catch-up read rows (while `armed`). */
function faultyOpener() {
  const fault = { armed: false, fired: 0 };
  const opener = patchedOpener(({ meta, main }) => {
    let rowsRead = false;
    const changes = main.changes.bind(main);
    main.changes = (range, from, to) => {
      const rows = changes(range, from, to);
      if (fault.armed && rows.length > 0) rowsRead = true;
      return rows;
    };
    const compactRevision = meta.compactRevision.bind(meta);
    meta.compactRevision = () => {
      if (!rowsRead) return compactRevision();
      rowsRead = false;
      fault.armed = false;
      fault.fired++;
      throw injected();
    };
  });
  return { opener, fault };
}

describe.skipIf(postgresMissing() !== undefined)("a replica's catch-up that fails half-way", () => {
  it('reads the same window again and delivers every revision of the other replica once, in order', async () => {
    const { opener, fault } = faultyOpener();
    const { a, b } = await replicas.pairOnShared(opener);
    const delivered: number[] = [];
    a.onCommit((revisions) => delivered.push(...revisions.map((r) => r.revision)));

    fault.armed = true;
    const written: number[] = [];
    for (const key of ['/k/1', '/k/2', '/k/3']) written.push((await b.put(put(key, 'v'))).revision);

    // A notification or a poll wakes `a`; its first catch-up with rows fails after reading them, and a later one
    // (the next poll, 250 ms on) must read them again.
    await until('the injected failure', () => fault.fired === 1);
    await until(`revisions ${written.join(', ')} delivered on the replica that failed`, () =>
      written.every((rev) => delivered.includes(rev)),
    );
    expect(delivered).toEqual(written);
    expect(a.revision).toBe(written.at(-1));
  }, 60_000);
});

describe.skipIf(postgresMissing() !== undefined)("replicas whose revision lock's row is gone", () => {
  it('refuse every write, naming the row and the fix, and write nothing; once the row is back they write again', async () => {
    const pg = await replicas.postgres('shared');
    const url = pg.url('shared');
    const store = replicas.open({ main: url });
    await store.recovered;
    const before = (await store.put(put('/k/before', 'v'))).revision;
    const admin = new Pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("DELETE FROM meta WHERE name = 'last_revision'");
      const refused = await store.put(put('/k/refused', 'v')).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(refused?.message).toContain('the meta row last_revision is gone (CNPAAS_STORE_MISSING_TABLE)');
      expect(refused?.message).toContain("INSERT INTO meta (name, value) SELECT 'last_revision'");
      expect(refused?.message).toContain(`127.0.0.1:${pg.port}/shared`);
      expect(refused?.message).not.toContain(pg.password);
      const stored = await admin.query('SELECT count(*)::int AS n FROM kv WHERE key = $1', [Buffer.from('/k/refused')]);
      expect(stored.rows).toEqual([{ n: 0 }]);
      await admin.query(
        "INSERT INTO meta (name, value) SELECT 'last_revision', max(mod_revision) FROM (SELECT mod_revision FROM kv UNION ALL SELECT mod_revision FROM history) AS r",
      );
      expect((await store.put(put('/k/after', 'v'))).revision).toBe(before + 1);
    } finally {
      await admin.end();
    }
  }, 60_000);
});
