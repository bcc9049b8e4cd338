import { isAbsolute, join } from 'node:path';
import type { BackendEndpoint, BackendDriver, OpenOptions } from '../mvcc/backend.js';
import { makePrivateDir } from './private-files.js';
import { EndpointError, type DriverFactory } from './registry-types.js';
import { StoreError } from '../errors.js';
import { SqliteDriver } from './sqlite-driver.js';
import { SqliteThreadDriver } from './sqlite-thread-driver.js';

/** The store's own files in the data dir; a backend may not claim them. */
export const STORE_FILES = ['main.db', 'meta.db'] as const;

/** Where a SQLite backend's statements run: `main` (the default, sqlite-driver.ts) or `worker` (sqlite-thread-driver.ts). */
export const SQLITE_THREADS = ['main', 'worker'] as const;
export type SqliteThread = (typeof SQLITE_THREADS)[number];

export function isSqliteThread(value: string): value is SqliteThread {
  return (SQLITE_THREADS as readonly string[]).includes(value);
}

/** A resolved SQLite endpoint; `thread` only when the endpoint asks for the worker. */
export interface SqliteEndpoint extends BackendEndpoint {
  thread?: SqliteThread;
}

/**
 * `sqlite:///abs/path.db`, `sqlite://rel/path.db` (relative to --data-dir) or
 * a bare path: one SQLite file per backend. The store's one query option is
 * `thread=worker`: the file's statements run on a worker thread of its own
 * (`thread=main`, the default, runs them on the event loop's thread). Other
 * query strings are HariKube's (kine's) SQLite options; the store sets WAL
 * and FULL sync itself, and ignores them with a warning.
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
    const { thread, ignored } = threadOf(query);
    if (ignored) warnings.push(`query "?${ignored}" is ignored (the store sets WAL and FULL sync itself)`);
    if (!location) throw new EndpointError('names no file', 'write sqlite://<file>.db');
    const path = isAbsolute(location) ? location : join(dataDir, location);
    if (STORE_FILES.some((f) => path === join(dataDir, f))) {
      throw new EndpointError(`is already used by the store itself`, 'give every backend its own database file');
    }
    const resolved: Omit<SqliteEndpoint, 'scheme'> = { location: path, display: `${scheme}://${rest}` };
    if (thread === 'worker') resolved.thread = thread;
    return resolved;
  },
  identity: (endpoint) => `sqlite://${endpoint.location}`,
  open(endpoint: SqliteEndpoint, options: OpenOptions): BackendDriver {
    makePrivateDir(join(endpoint.location, '..'));
    if (endpoint.thread !== 'worker') return new SqliteDriver({ path: endpoint.location, ...options });
    if (options.labelIndex) {
      throw new StoreError(
        'CNPAAS_STORE_SQLITE_WORKER_LABEL_INDEX',
        `${endpoint.display}: a SQLite backend with ?thread=worker keeps no label index, and --label-index=on asks every SQLite backend for one`,
        'drop ?thread=worker from this endpoint to keep the index, or start the store with --label-index=off',
      );
    }
    const { fsync, walSizeLimitBytes } = options;
    return new SqliteThreadDriver({
      path: endpoint.location,
      fsync,
      ...(walSizeLimitBytes === undefined ? {} : { walSizeLimitBytes }),
    });
  },
};

/**
 * Splits an endpoint's query into its `thread` setting and the rest, which is ignored. Only `main` and
 * `worker` are settings, given once.
 */
function threadOf(query: string | undefined): { thread: SqliteThread; ignored: string } {
  // Split by hand rather than with URLSearchParams, so that a warning quotes the rest as it was written.
  const parts = query ? query.split('&') : [];
  const isThread = (p: string) => p === 'thread' || p.startsWith('thread=');
  const given = parts.filter(isThread).map((p) => p.slice('thread='.length));
  const ignored = parts.filter((p) => !isThread(p)).join('&');
  if (given.length > 1) {
    throw new EndpointError(
      `sets thread ${given.length} times (${given.join(', ')})`,
      'give ?thread=worker once, or leave it out to run the file on the main thread',
    );
  }
  const thread = given[0] ?? 'main';
  if (!isSqliteThread(thread)) {
    throw new EndpointError(
      `has thread=${thread}, which is not a setting`,
      "write ?thread=worker to run the file's statements on a worker thread of their own, or ?thread=main (the default) to run them on the main thread",
    );
  }
  return { thread, ignored };
}
