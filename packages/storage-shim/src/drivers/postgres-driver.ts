import type { PostgresEndpoint } from './postgres-endpoint.js';
import { NetworkSqlDriver, type ServerSpecifics } from './network-sql-driver.js';
import { postgresDialect } from './sql/postgres-dialect.js';

export { type Row } from './network-sql-driver.js';

const POSTGRES: ServerSpecifics = {
  server: 'PostgreSQL',
  dialect: postgresDialect,
  worker: new URL('./postgres-worker.js', import.meta.url),
  transactionalDdl: true,
  currentSchema: 'current_schema()',
  // PostgreSQL runs a script of several statements, DDL included, in one transaction.
  statements: (script) => [script],
  // Stores that start together on a fresh database (replicas) migrate one at a time.
  migrationLock: 'SELECT pg_advisory_xact_lock(7165064463812390513)',
};

/** One backend in a PostgreSQL database (network-sql-driver.ts), plus what only PostgreSQL reports. */
export class PostgresDriver extends NetworkSqlDriver {
  constructor(endpoint: PostgresEndpoint) {
    super(POSTGRES, endpoint.display, endpoint.config);
  }

  size(): { total: number; inUse: number } {
    const row = this.db.query(
      'reader',
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS total FROM pg_class c WHERE c.relname IN ('kv', 'history', 'meta') AND c.relnamespace = current_schema()::regnamespace",
    ).rows[0]!;
    const total = Number(row.total);
    return { total, inUse: total };
  }

  defragment(): void {
    this.db.query('reader', 'VACUUM kv, history');
  }

  settings(): Record<string, unknown> {
    const row = this.db.query('reader', 'SHOW synchronous_commit').rows[0]!;
    return { synchronousCommit: row.synchronous_commit };
  }
}
