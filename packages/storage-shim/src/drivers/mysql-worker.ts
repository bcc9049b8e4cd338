import mysql from 'mysql2/promise';
import { MYSQL_SESSION } from './sql/mysql-dialect.js';
import { openWatched } from './reconnecting-connection.js';
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
    // A connection that drops (the server restarted) reports it; the next query opens another.
    connect: (lost) =>
      openWatched(mysql.createConnection(options), {
        lost,
        endMessage: 'connection lost',
        ready: async (c) => {
          for (const s of MYSQL_SESSION) await c.query(s);
        },
        discard: (c) => c.destroy(),
      }),
    async query(c, text, params) {
      // Text protocol: mysql2 escapes each value into the statement (Buffer as X'..', BigInt as a literal).
      const [result] = await c.query(text, params);
      if (Array.isArray(result)) return { rows: result, rowCount: result.length };
      return { rows: [], rowCount: (result as mysql.ResultSetHeader).affectedRows };
    },
    end: (c) => c.end(),
  };
});
