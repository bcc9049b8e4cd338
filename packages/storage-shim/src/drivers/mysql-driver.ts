import type { ConnectionOptions } from 'mysql2';
import type { ParsedEndpoint } from './network-endpoint.js';
import { NetworkSqlDriver, type ServerSpecifics } from './network-sql-driver.js';
import { mysqlConnector } from './mysql-connector.js';
import { mysqlDialect, mysqlStatements } from './sql/mysql-dialect.js';

const MYSQL: ServerSpecifics = {
  server: 'MySQL',
  dialect: mysqlDialect,
  worker: new URL('./mysql-worker.js', import.meta.url),
  connector: mysqlConnector,
  transactionalDdl: false,
  currentSchema: 'DATABASE()',
  statements: mysqlStatements,
  sizeQuery:
    "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS CHAR) AS total, CAST(COALESCE(SUM(data_free), 0) AS CHAR) AS free FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('kv', 'history', 'meta')",
  // InnoDB: OPTIMIZE recreates and analyzes both tables.
  defragment: 'OPTIMIZE TABLE kv, history',
  durability: {
    query: 'SELECT @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS sync_binlog, @@log_bin AS log_bin',
    settings: (row) => ({
      innodbFlushLogAtTrxCommit: Number(row.flush),
      syncBinlog: Number(row.sync_binlog),
      logBin: Number(row.log_bin) === 1,
    }),
  },
};

/** A MySQL/MariaDB endpoint, split into what mysql2 connects with and what may be shown. */
export type MysqlEndpoint = ParsedEndpoint<ConnectionOptions>;

/** One backend in a MySQL or MariaDB database (network-sql-driver.ts). */
export class MysqlDriver extends NetworkSqlDriver {
  constructor(endpoint: MysqlEndpoint) {
    super(MYSQL, endpoint);
  }
}
