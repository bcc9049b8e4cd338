import { isAbsolute, join } from 'node:path';
import type { BackendEndpoint, BackendDriver, OpenOptions } from '../mvcc/backend.js';
import { makePrivateDir } from './private-files.js';
import { EndpointError, type DriverFactory } from './registry-types.js';
import { SqliteDriver } from './sqlite-driver.js';

/** The store's own files in the data dir; a backend may not claim them. */
export const STORE_FILES = ['main.db', 'meta.db'] as const;

/**
 * `sqlite:///abs/path.db`, `sqlite://rel/path.db` (relative to --data-dir) or
 * a bare path: one SQLite file per backend. Query strings are HariKube's
 * (kine's) SQLite options; the store sets WAL and FULL sync itself.
 */
export const sqliteFactory: DriverFactory = {
  scheme: 'sqlite',
  forms: ['sqlite:///abs/path.db', 'sqlite://rel/path.db', 'a bare file path'],
  resolve(rest, { scheme, dataDir, warnings, connection }) {
    const [location, query] = rest.split('?', 2) as [string, string | undefined];
    if (connection.password || connection.tls) {
      throw new EndpointError(
        `is a SQLite file, which has no ${connection.password ? 'password' : 'TLS'}`,
        'drop passwordFile, passwordEnv and backendTLS from this backend',
      );
    }
    if (connection.pool)
      warnings.push('has connectionPool, which is ignored: a SQLite file has no connections to pool');
    if (query) warnings.push(`query "?${query}" is ignored (the store sets WAL and FULL sync itself)`);
    if (!location) throw new EndpointError('names no file', 'write sqlite://<file>.db');
    const path = isAbsolute(location) ? location : join(dataDir, location);
    if (STORE_FILES.some((f) => path === join(dataDir, f))) {
      throw new EndpointError(`is already used by the store itself`, 'give every backend its own database file');
    }
    return { location: path, display: `${scheme}://${rest}` };
  },
  identity: (endpoint) => `sqlite://${endpoint.location}`,
  open(endpoint: BackendEndpoint, options: OpenOptions): BackendDriver {
    makePrivateDir(join(endpoint.location, '..'));
    return new SqliteDriver({ path: endpoint.location, ...options });
  },
};
