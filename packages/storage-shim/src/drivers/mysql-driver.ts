import type { MysqlEndpoint } from './mysql-endpoint.js';
import { NetworkSqlDriver, type ServerSpecifics } from './network-sql-driver.js';
import { mysqlDialect, mysqlStatements } from './sql/mysql-dialect.js';

const MYSQL: ServerSpecifics = {
  server: 'MySQL',
  dialect: mysqlDialect,
  worker: new URL('./mysql-worker.js', import.meta.url),
  transactionalDdl: false,
  currentSchema: 'DATABASE()',
  statements: mysqlStatements,
};

/** One backend in a MySQL or MariaDB database (network-sql-driver.ts), plus what only MySQL reports. */
export class MysqlDriver extends NetworkSqlDriver {
  constructor(endpoint: MysqlEndpoint) {
    super(MYSQL, endpoint.display, endpoint.config);
  }

  size(): { total: number; inUse: number } {
    const row = this.db.query(
      'reader',
      "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS CHAR) AS total, CAST(COALESCE(SUM(data_free), 0) AS CHAR) AS free FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('kv', 'history', 'meta')",
    ).rows[0]!;
    const total = Number(row.total);
    return { total: total + Number(row.free), inUse: total };
  }

  /** Rebuilds both tables (InnoDB: recreate and analyze), giving freed pages back. */
  defragment(): void {
    this.db.query('reader', 'OPTIMIZE TABLE kv, history');
  }

  /** What decides whether a COMMIT that was answered survives a crash of the server. */
  settings(): Record<string, unknown> {
    const row = this.db.query(
      'reader',
      'SELECT @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS sync_binlog, @@log_bin AS log_bin',
    ).rows[0]!;
    return {
      innodbFlushLogAtTrxCommit: Number(row.flush),
      syncBinlog: Number(row.sync_binlog),
      logBin: Number(row.log_bin) === 1,
    };
  }
}
