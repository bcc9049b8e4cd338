import type { ClientConfig } from 'pg';
import type { ParsedEndpoint } from './network-endpoint.js';
import { NetworkSqlDriver, type ServerSpecifics } from './network-sql-driver.js';
import { postgresConnector } from './postgres-connector.js';
import { postgresDialect } from './sql/postgres-dialect.js';

export { type Row } from './network-sql-driver.js';

const POSTGRES: ServerSpecifics = {
  server: 'PostgreSQL',
  dialect: postgresDialect,
  worker: new URL('./postgres-worker.js', import.meta.url),
  connector: postgresConnector,
  transactionalDdl: true,
  currentSchema: 'current_schema()',
  // PostgreSQL runs a script of several statements, DDL included, in one transaction.
  statements: (script) => [script],
  // Stores that start together on a fresh database (replicas) migrate one at a time.
  migrationLock: 'SELECT pg_advisory_xact_lock(7165064463812390513)',
  // PostgreSQL keeps no free pages apart: what the tables take is all in use.
  sizeQuery:
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS total, '0' AS free FROM pg_class c WHERE c.relname IN ('kv', 'history', 'meta') AND c.relnamespace = current_schema()::regnamespace",
  defragment: 'VACUUM kv, history',
  durability: {
    // With it, whether a failed statement is logged with its text (and its literal values): log_min_error_statement.
    // `true`: NULL, not an error, where the server has no such setting (CockroachDB).
    query:
      "SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('log_min_error_statement', true) AS log_min_error_statement",
    settings: (row) => ({
      synchronousCommit: row.synchronous_commit,
      logMinErrorStatement: row.log_min_error_statement,
    }),
  },
};

/** log_min_error_statement's levels below `log`: at any of them an ERROR is logged with its statement's text. */
const STATEMENT_LOGGED = new Set([
  'debug5',
  'debug4',
  'debug3',
  'debug2',
  'debug1',
  'info',
  'notice',
  'warning',
  'error',
]);

/**
 * Whether PostgreSQL, at the `logMinErrorStatement` its settings() reports,
 * logs the text of a statement that fails. A refused optimistic batch is
 * such a statement, and its text carries the batch's keys and values as
 * literals (README, "A lone write in one message").
 */
export function logsFailedStatements(logMinErrorStatement: unknown): boolean {
  return typeof logMinErrorStatement === 'string' && STATEMENT_LOGGED.has(logMinErrorStatement.toLowerCase());
}

/** A PostgreSQL endpoint, split into what `pg` connects with and what may be shown. */
export type PostgresEndpoint = ParsedEndpoint<ClientConfig>;

/** One backend in a PostgreSQL database (network-sql-driver.ts). */
export class PostgresDriver extends NetworkSqlDriver {
  constructor(endpoint: PostgresEndpoint) {
    super(POSTGRES, endpoint);
  }
}
