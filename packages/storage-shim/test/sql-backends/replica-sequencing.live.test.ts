import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Registry from '../../src/drivers/registry.js';
import type * as Errors from '../../src/errors.js';
import type { BackendOpener } from '../../src/mvcc/backend.js';
import type * as Store from '../../src/mvcc/store.js';
import type { RevisionStore } from '../../src/mvcc/store.js';
import type * as Topology from '../../src/routing/topology.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';

// The built store: the PostgreSQL driver's worker is a .js file beside it.
const built = async <T>(path: string) => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { registry, resolveEndpoint } = await built<typeof Registry>('drivers/registry.js');
const { BackendUnavailableError } = await built<typeof Errors>('errors.js');
const { RevisionStore: BuiltStore } = await built<typeof Store>('mvcc/store.js');
const { emptyTopology } = await built<typeof Topology>('routing/topology.js');

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
const stores: RevisionStore[] = [];
const dirs: string[] = [];
let pg: PostgresHandle | undefined;

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await pg?.stop();
  pg = undefined;
});

/** A replica on `url`, opened through `opener`. */
function replica(url: string, opener: BackendOpener = registry): RevisionStore {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-catch-up-'));
  dirs.push(dataDir);
  const store = new BuiltStore({
    dataDir,
    topology: emptyTopology(),
    fsync: false,
    opener,
    logger: pino({ level: 'silent' }),
    mainEndpoint: resolveEndpoint(url, { dataDir, warnings: [] }),
  });
  stores.push(store);
  return store;
}

/** The registry, with the meta's compact-revision read failing once after a catch-up read rows (while `armed`). */
function faultyOpener() {
  const fault = { armed: false, fired: 0 };
  const opener: BackendOpener = {
    ...registry,
    openShared(endpoint, options, log) {
      const opened = registry.openShared!(endpoint, options, log);
      const { meta, main } = opened;
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
        throw new BackendUnavailableError('the database went away (injected by the test)');
      };
      return opened;
    },
  };
  return { opener, fault };
}

const put = (key: string) => ({
  key: Buffer.from(key),
  value: Buffer.from('v'),
  lease: 0n,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(postgresMissing() !== undefined)("a replica's catch-up that fails half-way", () => {
  it('reads the same window again and delivers every revision of the other replica once, in order', async () => {
    pg = await startPostgres();
    await pg.createDatabase('shared');
    const url = pg.url('shared');
    const { opener, fault } = faultyOpener();
    const a = replica(url, opener);
    const b = replica(url);
    await Promise.all([a.recovered, b.recovered]);
    const delivered: number[] = [];
    a.onCommit((revisions) => delivered.push(...revisions.map((r) => r.revision)));

    fault.armed = true;
    const written: number[] = [];
    for (const key of ['/k/1', '/k/2', '/k/3']) written.push((await b.put(put(key))).revision);

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
    pg = await startPostgres();
    await pg.createDatabase('shared');
    const url = pg.url('shared');
    const store = replica(url);
    await store.recovered;
    const before = (await store.put(put('/k/before'))).revision;
    const admin = new Pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("DELETE FROM meta WHERE name = 'last_revision'");
      const refused = await store.put(put('/k/refused')).then(
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
      expect((await store.put(put('/k/after'))).revision).toBe(before + 1);
    } finally {
      await admin.end();
    }
  }, 60_000);
});
