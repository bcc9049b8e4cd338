import mysql from 'mysql2/promise';
import { MYSQL_SESSION } from './sql/mysql-dialect.js';
import { serveQueries } from './sql-worker-host.js';

/**
 * The MySQL/MariaDB connections of one backend, in their own thread
 * (sql-worker-host.ts), so that sql-bridge.ts can wait for a query
 * synchronously while it runs here.
 */
async function connect(config: mysql.ConnectionOptions): Promise<mysql.Connection> {
  const c = await mysql.createConnection(config);
  // A connection that drops between queries reports it here; the next query then fails with the reason.
  c.on('error', () => undefined);
  for (const s of MYSQL_SESSION) await c.query(s);
  return c;
}

serveQueries((config) => {
  const options: mysql.ConnectionOptions = {
    ...(config as mysql.ConnectionOptions),
    // BIGINT columns (revisions, counts) come back as decimal text; the driver converts them.
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
  const ready = Promise.all([connect(options), connect(options)]);
  return {
    ready,
    async query(conn, text, params) {
      const [writer, reader] = await ready;
      // Text protocol: mysql2 escapes each value into the statement (Buffer as X'..', BigInt as a literal).
      const [result] = await (conn === 'writer' ? writer : reader).query(text, params);
      if (Array.isArray(result)) return { rows: result, rowCount: result.length };
      return { rows: [], rowCount: (result as mysql.ResultSetHeader).affectedRows };
    },
    async close() {
      const [writer, reader] = await ready;
      await Promise.all([writer.end(), reader.end()]);
    },
  };
});
