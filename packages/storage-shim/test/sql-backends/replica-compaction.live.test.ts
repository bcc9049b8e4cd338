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
import type * as Types from '../../src/types.js';
import type { PutRequest } from '../../src/types.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';

// The built store: the PostgreSQL driver's worker is a .js file beside it.
const built = async <T>(path: string) => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { registry, resolveEndpoint } = await built<typeof Registry>('drivers/registry.js');
const { BackendUnavailableError } = await built<typeof Errors>('errors.js');
const { RevisionStore: BuiltStore } = await built<typeof Store>('mvcc/store.js');
const { emptyTopology } = await built<typeof Topology>('routing/topology.js');
const { rangeRequest } = await built<typeof Types>('types.js');

/**
 * A replica's batch holds a transaction open on the main database from its
 * lock to its COMMIT, across awaits (its loads, its routed databases'
 * commits). A Compact arriving meanwhile must record the compact revision
 * on its own: written inside that transaction it was undone when the batch
 * failed, while the history rows below it were deleted anyway, so the other
 * replicas answered reads and watches below it from rows that were gone
 * (a key missing at an old revision) instead of refusing them as compacted.
 *
 * The failure is injected (the one fake here): the batch's load from the
 * main database waits until the test lets it fail. Everything else is two
 * real replicas on a private PostgreSQL.
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

function replica(url: string, opener: BackendOpener = registry): RevisionStore {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-compaction-'));
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

/** The registry, with the main database's next read-ahead (while `armed`) held until `fail` is called. */
function faultyOpener() {
  const fault = { armed: false, held: false, fail: () => {} };
  const opener: BackendOpener = {
    ...registry,
    openShared(endpoint, options, log) {
      const opened = registry.openShared!(endpoint, options, log);
      const { main } = opened;
      const prefetch = main.prefetch!.bind(main);
      main.prefetch = (keys) => {
        if (!fault.armed) return prefetch(keys);
        fault.armed = false;
        fault.held = true;
        return new Promise((_, reject) => {
          fault.fail = () => reject(new BackendUnavailableError('the database went away (injected by the test)'));
        });
      };
      return opened;
    },
  };
  return { opener, fault };
}

const put = (key: string, value: string): PutRequest => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  lease: 0n,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
});

describe.skipIf(postgresMissing() !== undefined)("a Compact on a replica while the replica's batch is open", () => {
  it('stays recorded when that batch fails, so every replica refuses the compacted revisions', async () => {
    pg = await startPostgres();
    await pg.createDatabase('shared');
    const url = pg.url('shared');
    const { opener, fault } = faultyOpener();
    const a = replica(url, opener);
    const b = replica(url);
    await Promise.all([a.recovered, b.recovered]);
    const first = (await a.put(put('/k/1', 'one'))).revision;
    const second = (await a.put(put('/k/1', 'two'))).revision;

    fault.armed = true;
    const failing = a.put(put('/k/2', 'lost'));
    failing.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!fault.held && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fault.held).toBe(true);
    // The batch holds the lock and waits for its load: the Compact comes now, and removes the first version.
    await a.compact(second, true);
    fault.fail();
    await expect(failing).rejects.toThrow('injected by the test');

    const admin = new Pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const recorded = await admin.query("SELECT value FROM meta WHERE name = 'compact_revision'");
      expect(recorded.rows).toEqual([{ value: String(second) }]);
    } finally {
      await admin.end();
    }
    await expect(b.range(rangeRequest({ key: Buffer.from('/k/1'), revision: first }))).rejects.toThrow(
      'required revision has been compacted',
    );
    expect(a.compactRevision).toBe(second);
  }, 60_000);
});
