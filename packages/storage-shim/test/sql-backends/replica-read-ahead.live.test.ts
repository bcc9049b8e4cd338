import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Registry from '../../src/drivers/registry.js';
import type * as Errors from '../../src/errors.js';
import type { BackendOpener } from '../../src/mvcc/backend.js';
import type * as Store from '../../src/mvcc/store.js';
import type { RevisionStore } from '../../src/mvcc/store.js';
import type * as Topology from '../../src/routing/topology.js';
import type * as Types from '../../src/types.js';
import type { PutRequest, TxnRequest } from '../../src/types.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { routedTopology } from '../support/topology.js';

// The built store: the PostgreSQL driver's worker is a .js file beside it.
const built = async <T>(path: string) => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { registry, resolveEndpoint } = await built<typeof Registry>('drivers/registry.js');
const { BackendUnavailableError } = await built<typeof Errors>('errors.js');
const { RevisionStore: BuiltStore } = await built<typeof Store>('mvcc/store.js');
const { loadTopology } = await built<typeof Topology>('routing/topology.js');
const { rangeRequest } = await built<typeof Types>('types.js');

/**
 * A batch loads the rows it will read from every network backend at once
 * (prefetch), and each driver keeps them until the batch ends. When one
 * backend's load fails, the batch fails and is rolled back while another
 * backend's load may still be on its way. That load's answer must not be
 * kept for the next batch: its rows were read before whatever committed
 * since, and the next batch would take them for the current ones (a put on
 * top of a version that is no longer current: wrong version, wrong prev_kv,
 * a history row written twice, another replica's write overwritten).
 *
 * The failure is injected (the one fake here): the main database's load
 * fails once, while the routed database's real load is in flight. Everything
 * else is two real replicas over two databases of a private PostgreSQL.
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

/** A replica on `main` whose keys under `/x/` live in `routed`, opened through `opener`. */
function replica(options: { main: string; routed: string; opener?: BackendOpener }): RevisionStore {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-read-ahead-'));
  dirs.push(dataDir);
  const file = join(dataDir, 'topology.yaml');
  writeFileSync(file, routedTopology([{ name: 'routed', endpoint: options.routed, prefix: '/x/' }]));
  const store = new BuiltStore({
    dataDir,
    topology: loadTopology(file, dataDir),
    fsync: false,
    opener: options.opener ?? registry,
    logger: pino({ level: 'silent' }),
    mainEndpoint: resolveEndpoint(options.main, { dataDir, warnings: [] }),
  });
  stores.push(store);
  return store;
}

/** The registry, with the main database's read-ahead failing once (while `armed`). */
function faultyOpener() {
  const fault = { armed: false, fired: 0 };
  const opener: BackendOpener = {
    ...registry,
    openShared(endpoint, options, log) {
      const opened = registry.openShared!(endpoint, options, log);
      const { main } = opened;
      const prefetch = main.prefetch!.bind(main);
      main.prefetch = (keys) => {
        if (!fault.armed) return prefetch(keys);
        fault.armed = false;
        fault.fired++;
        return Promise.reject(new BackendUnavailableError('the database went away (injected by the test)'));
      };
      return opened;
    },
  };
  return { opener, fault };
}

const put = (key: string, value: string, prevKv = false): PutRequest => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  lease: 0n,
  prevKv,
  ignoreValue: false,
  ignoreLease: false,
});

describe.skipIf(postgresMissing() !== undefined)('a batch whose read-ahead fails in one backend', () => {
  it("leaves nothing another backend's late answer could make the next batch read as current", async () => {
    pg = await startPostgres();
    await pg.createDatabase('main');
    await pg.createDatabase('routed');
    const urls = { main: pg.url('main'), routed: pg.url('routed') };
    const { opener, fault } = faultyOpener();
    const a = replica({ ...urls, opener });
    const b = replica(urls);
    await Promise.all([a.recovered, b.recovered]);

    await b.put(put('/x/k', 'one'));
    // Reads a key of each database: the main one's load fails, the routed one's is sent and answers later.
    fault.armed = true;
    const spanning: TxnRequest = {
      compare: [],
      success: [{ put: put('/x/k', 'failed') }, { put: put('/m/j', 'failed') }],
      failure: [],
    };
    await expect(a.txn(spanning)).rejects.toThrow('injected by the test');
    expect(fault.fired).toBe(1);
    // The routed database's answer arrives meanwhile (one round trip on loopback).
    await new Promise((r) => setTimeout(r, 300));

    const two = await b.put(put('/x/k', 'two'));
    const three = await a.put(put('/x/k', 'three', true));
    expect(three.prevKv?.value.toString()).toBe('two');
    expect(three.prevKv?.modRevision).toBe(two.revision);
    const stored = await b.range(rangeRequest({ key: Buffer.from('/x/k') }));
    expect(stored.kvs.map((kv) => `${kv.value.toString()} v${kv.version}`)).toEqual(['three v3']);
  }, 60_000);
});
