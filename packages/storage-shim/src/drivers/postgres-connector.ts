import { checkServerIdentity } from 'node:tls';
import pg from 'pg';
import type { TlsOptions } from './network-endpoint.js';
import { PreparedStatements } from './postgres-prepared.js';
import { type Connector, openWatched, type StatementResult } from './reconnecting-connection.js';

/**
 * backendTLS.serverName: pg checks the certificate against the endpoint's
 * host, so the name it must carry instead is checked here (a function cannot
 * cross into the worker, only the name).
 */
function clientConfig(config: pg.ClientConfig): pg.ClientConfig {
  const ssl = config.ssl as TlsOptions | false | undefined;
  if (!ssl || ssl.serverName === undefined) return config;
  const { serverName, ...options } = ssl;
  return {
    ...config,
    ssl: { ...options, checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert) },
  };
}

/**
 * How the store opens, uses and closes a PostgreSQL connection: in the
 * backend's worker (postgres-worker.ts, for the queries the main thread waits
 * for), and on the main thread for the asynchronous ones sql-bridge.ts sends
 * there.
 */
export function postgresConnector(config: unknown): Connector<pg.Client> {
  const options = clientConfig(config as pg.ClientConfig);
  return {
    connect: (lost) =>
      openWatched(new pg.Client(options), {
        lost,
        endMessage: 'Connection terminated unexpectedly',
        ready: (client) => client.connect(),
        discard: (client) => client.end().catch(() => undefined),
      }),
    // BIGINT columns come back as text; the driver converts them, so nothing is lost above 2^53.
    async query(client, text, params) {
      // pg does not bind BigInt; as decimal text PostgreSQL reads a lease ID into BIGINT exactly.
      const values = params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      const result = await client.query({ text, values });
      // A script of several statements (a migration) answers with one result each; the last one counts.
      return answer((Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult);
    },
    // One simple-query message: the statements with their parameters written in (postgres-literals.ts), those
    // that recur as EXECUTEs of statements prepared on this connection (postgres-prepared.ts).
    async many(client, statements) {
      const prepared = preparedOf(client);
      await prepared.prepareBefore(statements, (text) => client.query(text));
      const result = (await client.query(prepared.render(statements))) as pg.QueryResult | pg.QueryResult[];
      const results = Array.isArray(result) ? result : [result];
      if (results.length !== statements.length) {
        throw new Error(
          `PostgreSQL answered ${results.length} result(s) to a script of ${statements.length} statement(s)`,
        );
      }
      return results.map(answer);
    },
    end: (client) => client.end(),
  };
}

const preparedSets = new WeakMap<pg.Client, PreparedStatements>();

/** The statements prepared in `client`'s session: a new connection starts with none. */
function preparedOf(client: pg.Client): PreparedStatements {
  let set = preparedSets.get(client);
  if (!set) preparedSets.set(client, (set = new PreparedStatements()));
  return set;
}

function answer(r: pg.QueryResult): StatementResult {
  return { rows: r.rows as unknown[], rowCount: r.rowCount ?? 0 };
}
