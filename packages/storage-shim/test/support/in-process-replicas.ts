import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type * as Registry from '../../src/drivers/registry.js';
import type * as Errors from '../../src/errors.js';
import type { BackendDriver, BackendOpener, MetaBackend } from '../../src/mvcc/backend.js';
import type * as Store from '../../src/mvcc/store.js';
import type { RevisionStore } from '../../src/mvcc/store.js';
import type * as Topology from '../../src/routing/topology.js';
import type * as Types from '../../src/types.js';

/**
 * Store replicas run in the test's own process on a shared network database,
 * for tests that inject one failure into a replica's drivers. They are built
 * from dist: the PostgreSQL driver's worker is a .js file beside its module.
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

/** Replicas opened by a test, each in a data dir of its own; `close` stops them and removes the dirs. */
export class InProcessReplicas {
  readonly #stores: RevisionStore[] = [];
  readonly #dirs: string[] = [];

  /**
   * A replica whose main backend and meta are in `main` (a database URL);
   * `topology` routes keys to other databases (written into its data dir).
   */
  open(options: { main: string; opener?: BackendOpener; topology?: (dataDir: string) => Topology.Topology }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-replica-'));
    this.#dirs.push(dataDir);
    const store = new BuiltStore({
      dataDir,
      topology: options.topology ? options.topology(dataDir) : emptyTopology(),
      fsync: false,
      opener: options.opener ?? registry,
      logger: pino({ level: 'silent' }),
      mainEndpoint: resolveEndpoint(options.main, { dataDir, warnings: [] }),
    });
    this.#stores.push(store);
    return store;
  }

  async close(): Promise<void> {
    for (const s of this.#stores.splice(0)) await s.close();
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
