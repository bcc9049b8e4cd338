import pg from 'pg';
import { serveQueries } from './sql-worker-host.js';

/**
 * The PostgreSQL connections of one backend, in their own thread
 * (sql-worker-host.ts), so that sql-bridge.ts can wait for a query
 * synchronously while it runs here.
 */
serveQueries((config) => {
  const clients = {
    writer: new pg.Client(config as pg.ClientConfig),
    reader: new pg.Client(config as pg.ClientConfig),
  };
  // BIGINT columns come back as text; the driver converts them, so nothing is lost above 2^53.
  return {
    ready: Promise.all([clients.writer.connect(), clients.reader.connect()]),
    async query(conn, text, params) {
      // pg does not bind BigInt; as decimal text PostgreSQL reads a lease ID into BIGINT exactly.
      const values = params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      const result = await clients[conn].query({ text, values });
      // A script of several statements (a migration) answers with one result each; the last one counts.
      const r = (Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult;
      return { rows: r.rows as unknown[], rowCount: r.rowCount ?? 0 };
    },
    close: () => Promise.all([clients.writer.end(), clients.reader.end()]),
  };
});
