import mysql from 'mysql2/promise';
import { MYSQL_SESSION } from './sql/mysql-dialect.js';
import { serveQueries } from './sql-worker-host.js';

/**
 * The MySQL/MariaDB connections of one backend, in their own thread
 * (sql-worker-host.ts, which opens a connection again after the server
 * restarts), so that sql-bridge.ts can wait for a query synchronously while
 * it runs here.
 */
serveQueries<mysql.Connection>((config) => {
  const options: mysql.ConnectionOptions = {
    ...(config as mysql.ConnectionOptions),
    // BIGINT columns (revisions, counts) come back as decimal text; the driver converts them.
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
  return {
    async connect(lost) {
      const c = await mysql.createConnection(options);
      // A connection that drops (the server restarted) reports it here; the next query opens another.
      c.on('error', lost);
      c.on('end', () => lost(new Error('connection lost')));
      try {
        for (const s of MYSQL_SESSION) await c.query(s);
      } catch (err) {
        c.destroy();
        throw err;
      }
      return c;
    },
    async query(c, text, params) {
      // Text protocol: mysql2 escapes each value into the statement (Buffer as X'..', BigInt as a literal).
      const [result] = await c.query(text, params);
      if (Array.isArray(result)) return { rows: result, rowCount: result.length };
      return { rows: [], rowCount: (result as mysql.ResultSetHeader).affectedRows };
    },
    end: (c) => c.end(),
  };
});
