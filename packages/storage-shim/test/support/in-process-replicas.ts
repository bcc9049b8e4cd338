import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach } from 'vitest';
import type * as Registry from '../../src/drivers/registry.js';
import type * as Errors from '../../src/errors.js';
import type { BackendDriver, BackendOpener, MetaBackend } from '../../src/mvcc/backend.js';
import type * as Store from '../../src/mvcc/store.js';
import type { RevisionStore } from '../../src/mvcc/store.js';
import type * as Topology from '../../src/routing/topology.js';
import type * as Types from '../../src/types.js';
import { type PostgresHandle, startPostgres } from './postgres.js';

/**
 * Store replicas run in the test's own process on the databases of a private
 * PostgreSQL, for tests that inject one failure into a replica's drivers.
 * They are built from dist: the PostgreSQL driver's worker is a .js file
 * beside its module.
 */
const built = async <T>(path: string) => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
export const { registry, resolveEndpoint } = await built<typeof Registry>('drivers/registry.js');
export const { BackendUnavailableError } = await built<typeof Errors>('errors.js');
const { RevisionStore: BuiltStore } = await built<typeof Store>('mvcc/store.js');
export const { emptyTopology, loadTopology } = await built<typeof Topology>('routing/topology.js');
export const { rangeRequest } = await built<typeof Types>('types.js');

/** The error every injected failure throws: tests match its words. */
export const injected = () => new BackendUnavailableError('the database went away (injected by the test)');

/** The registry, with `patch` given the main driver and the meta of each shared main database it opens. */
export function patchedOpener(patch: (opened: { main: BackendDriver; meta: MetaBackend }) => void): BackendOpener {
  return {
    ...registry,
    openShared(endpoint, options, log) {
      const opened = registry.openShared!(endpoint, options, log);
      patch(opened);
      return opened;
    },
  };
}

/** The main driver's asynchronous steps of a batch that a test can hold: its read-ahead and its COMMIT. */
type Holdable = 'prefetch' | 'commit';

/**
 * The registry, with the main driver's next call of `method` (once
 * `fault.armed`) held until the test calls `fault.fail()` (it rejects with
 * `injected()`, the call never made) or `fault.proceed()` (the call is made).
 */
function heldMainCall(method: Holdable) {
  const fault = { armed: false, held: false, fail: () => {}, proceed: () => {} };
  const opener = patchedOpener(({ main }) => {
    const steps = main as unknown as Record<Holdable, (...args: unknown[]) => unknown>;
    const call = steps[method].bind(main);
    steps[method] = (...args) => {
      if (!fault.armed) return call(...args);
      fault.armed = false;
      fault.held = true;
      return new Promise((resolve, reject) => {
        fault.fail = () => reject(injected());
        fault.proceed = () => resolve(call(...args));
      });
    };
  });
  return { opener, fault };
}

/**
 * The main database's next read-ahead held: a replica's batch then stays
 * open, holding the revision lock and its transaction, for as long as the
 * test needs. Only a batch taken under the lock reads ahead: open the
 * replica with `optimistic: false` for a batch of single-key writes.
 */
export const heldReadAhead = () => heldMainCall('prefetch');

/**
 * The main database's next COMMIT held: a replica's batch is then applied,
 * its changes visible inside its open transaction, and not yet committed.
 */
export const heldCommit = () => heldMainCall('commit');

/**
 * Starts `request` on `store` with `fault` armed, and returns once its batch
 * is held open. The write's outcome comes wrapped: returning the bare promise
 * from an async function would wait for it.
 */
export async function heldWrite(
  store: RevisionStore,
  fault: { armed: boolean; held: boolean },
  request: Types.PutRequest,
): Promise<{ writing: Promise<unknown> }> {
  fault.held = false;
  fault.armed = true;
  const writing = store.put(request);
  writing.catch(() => undefined);
  await until("the batch's load held", () => fault.held);
  return { writing };
}

/** The databases a replica opens, and how. */
export interface ReplicaOptions {
  /** The database URL of its main backend and meta. */
  main: string;
  /** How its databases open; default the registry. */
  opener?: BackendOpener;
  /** Routes keys to other databases (written into its data dir). */
  topology?: (dataDir: string) => Topology.Topology;
  /** false: every batch under the revision lock, none optimistic (what `heldReadAhead` holds is the lock's read). */
  optimistic?: boolean;
}

/**
 * The replicas a test opens, each in a data dir of its own, and the private
 * PostgreSQL they share; `close` stops the replicas, removes their dirs and
 * stops the server.
 */
export class InProcessReplicas {
  readonly #stores: RevisionStore[] = [];
  readonly #dirs: string[] = [];
  #pg: PostgresHandle | undefined;

  /** Starts the test's PostgreSQL, with `databases` created in it. */
  async postgres(...databases: string[]): Promise<PostgresHandle> {
    if (this.#pg) throw new Error('this test already started its PostgreSQL: the replicas share one');
    const pg = await startPostgres();
    this.#pg = pg;
    for (const name of databases) await pg.createDatabase(name);
    return pg;
  }

  open(options: ReplicaOptions): RevisionStore {
    const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-replica-'));
    this.#dirs.push(dataDir);
    const store = new BuiltStore({
      dataDir,
      topology: options.topology ? options.topology(dataDir) : emptyTopology(),
      fsync: false,
      opener: options.opener ?? registry,
      logger: pino({ level: 'silent' }),
      mainEndpoint: resolveEndpoint(options.main, { dataDir, warnings: [] }),
      optimistic: options.optimistic,
    });
    this.#stores.push(store);
    return store;
  }

  /**
   * Two replicas on the same databases, both recovered: `a` opens them
   * through `opener` (the one the test injects its failure into, if any), `b` as they are.
   */
  async pair(options: ReplicaOptions): Promise<{ a: RevisionStore; b: RevisionStore }> {
    const { opener, ...databases } = options;
    const a = this.open({ ...databases, opener });
    const b = this.open(databases);
    await Promise.all([a.recovered, b.recovered]);
    return { a, b };
  }

  /** Starts the test's PostgreSQL with one database, `shared`, and a `pair` on it; `url` is the database's. */
  async pairOnShared(
    opener: BackendOpener,
    options: { optimistic?: boolean } = {},
  ): Promise<{ a: RevisionStore; b: RevisionStore; url: string }> {
    const url = (await this.postgres('shared')).url('shared');
    return { ...(await this.pair({ main: url, opener, ...options })), url };
  }

  async close(): Promise<void> {
    try {
      for (const s of this.#stores.splice(0)) await s.close();
    } finally {
      for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      await this.#pg?.stop();
      this.#pg = undefined;
    }
  }
}

/** The replicas of each test of the file (or describe) that calls this, closed after each test. */
export function useInProcessReplicas(): InProcessReplicas {
  const replicas = new InProcessReplicas();
  afterEach(() => replicas.close());
  return replicas;
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
