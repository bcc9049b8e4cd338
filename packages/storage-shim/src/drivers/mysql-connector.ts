import mysql from 'mysql2/promise';
import { MYSQL_SESSION } from './sql/mysql-dialect.js';
import { type Connector, openWatched, type StatementResult } from './reconnecting-connection.js';

/**
 * How the store opens, uses and closes a MySQL/MariaDB connection: in the
 * backend's worker (mysql-worker.ts, for the queries the main thread waits
 * for), and on the main thread for the asynchronous ones sql-bridge.ts sends
 * there.
 */
export function mysqlConnector(config: unknown): Connector<mysql.Connection> {
  const options: mysql.ConnectionOptions = {
    ...(config as mysql.ConnectionOptions),
    // BIGINT columns (revisions, counts) come back as decimal text; the driver converts them.
    supportBigNumbers: true,
    bigNumberStrings: true,
    // A batch's statements go as one message (`many`). Every value is still escaped by mysql2 into the
    // text, as for a single statement: nothing reaches the server unescaped.
    multipleStatements: true,
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
      return answer(result);
    },
    async many(c, statements) {
      const text = statements.map((s) => c.format(s.text, s.params)).join(';\n');
      const [results] = await c.query(text);
      // With several statements, mysql2 answers an array with each one's result.
      const each = results as unknown as mysql.QueryResult[];
      if (each.length !== statements.length) {
        throw new Error(`MySQL answered ${each.length} result(s) to a script of ${statements.length} statement(s)`);
      }
      return each.map(answer);
    },
    end: (c) => c.end(),
  };
}

function answer(result: mysql.QueryResult): StatementResult {
  if (Array.isArray(result)) return { rows: result, rowCount: result.length };
  return { rows: [], rowCount: (result as mysql.ResultSetHeader).affectedRows };
}
