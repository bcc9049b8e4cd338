/**
 * The store's backends, from the topology file the store runs with, and
 * which backend holds a key: the store's own parser and Router, so the
 * console's columns are exactly the store's routing. Endpoints (which may
 * carry database passwords) stay here; only backend names go out.
 */
import { tmpdir } from 'node:os';
import { Router, loadTopology } from '@cnpaas/storage-shim';
import { ConsoleError, errorMessage } from './errors.js';

export interface BackendMap {
  /** Every backend, the default one ("main") first. */
  names: readonly string[];
  backendFor(key: string): string;
}

/** Without a topology file everything lives in the default backend. */
export function singleBackend(): BackendMap {
  return { names: ['main'], backendFor: () => 'main' };
}

export function loadBackendMap(file: string): BackendMap {
  let router: Router;
  try {
    // The data dir only resolves relative database paths, which the console never opens.
    router = new Router(loadTopology(file, tmpdir()));
  } catch (err) {
    throw new ConsoleError('CNPAAS_CONSOLE_TOPOLOGY', `cannot use topology ${file}: ${errorMessage(err)}`, {
      hint: 'pass --topology with the file the store runs with',
      cause: err,
    });
  }
  return { names: router.names, backendFor: (key) => router.backendFor(Buffer.from(key, 'latin1')) };
}
