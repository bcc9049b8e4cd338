import { NetworkSqlDriver, type ServerSpecifics } from './network-sql-driver.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';
import { onDiskBytes } from './sqlite-file.js';
import type { SqliteWorkerConfig } from './sqlite-worker.js';

/**
 * SQLite as the worker variant runs it: what its database answers through
 * the bridge, where PostgreSQL and MySQL answer from information_schema and
 * server settings.
 */
const SQLITE: ServerSpecifics = {
  server: 'SQLite',
  dialect: sqliteDialect,
  worker: new URL('./sqlite-worker.js', import.meta.url),
  currentSchema: "'main'",
  catalog: {
    columns:
      "SELECT m.name AS t, p.name AS c FROM sqlite_schema AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table'",
    // The worker applies the dialect's migrations when it opens the file (schema.ts), as the in-thread driver does.
    version: 'PRAGMA user_version',
  },
  transactionalDdl: true,
  statements: (script) => [script],
  sizeQuery: `SELECT
      ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()))
        * (SELECT page_size FROM pragma_page_size()) AS total,
      (SELECT freelist_count FROM pragma_freelist_count()) * (SELECT page_size FROM pragma_page_size()) AS free`,
  defragment: 'VACUUM',
  durability: {
    query: 'SELECT synchronous FROM pragma_synchronous()',
    // 2 (FULL): the WAL is fsynced inside every COMMIT, on the worker's thread; 0 only with --unsafe-no-fsync.
    settings: (row) => ({
      synchronous: Number(row.synchronous),
      commitSync: Number(row.synchronous) >= 2 ? 'in-commit' : 'none',
      thread: 'worker',
    }),
  },
};

export interface SqliteThreadDriverOptions extends SqliteWorkerConfig {
  /** The worker module; tests point it at the built one. Default: sqlite-worker.js beside this module. */
  worker?: URL;
}

/**
 * One SQLite backend file whose statements run on a worker thread of its
 * own (`sqlite://file.db?thread=worker`): the same driver as PostgreSQL's
 * and MySQL's (network-sql-driver.ts), with the same bridge, so a batch's
 * reads are loaded ahead without blocking, its rows go to the worker with
 * its COMMIT as one message, and the event loop is free while the worker
 * commits and fsyncs. The main thread parses, encodes and answers; several
 * routed files each use a core of their own.
 *
 * Without the in-thread driver's extras: no prefix counts (a Range's count
 * is a COUNT query) and no label index (refused with --label-index,
 * sqlite-endpoint.ts).
 */
export class SqliteThreadDriver extends NetworkSqlDriver {
  readonly #path: string;

  constructor(options: SqliteThreadDriverOptions) {
    const { worker, ...config } = options;
    super(worker ? { ...SQLITE, worker } : SQLITE, { config, display: config.path });
    this.#path = config.path;
  }

  /** The file and its WAL on disk, as the in-thread driver reports them (Status's dbSize); live pages from the worker. */
  override size(): { total: number; inUse: number } {
    return { total: onDiskBytes(this.#path), inUse: super.size().inUse };
  }
}
