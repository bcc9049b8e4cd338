import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort } from '../test/support/free-port.js';
import { MARIADB_USER, mariadbMissing, startMariadb } from '../test/support/mariadb.js';
import { postgresMissing, startPostgres } from '../src/testing/postgres.js';
import { commitRow, type Measurement, type Slice } from './workload.js';

/**
 * The network database behind `--backend postgres|mysql`: one private server,
 * durable (unlike the tests' throw-away instances), with one database for the
 * store and one for kine, so both sides commit to the same server with the
 * same settings. The rows never run two servers at once, so they do not
 * compete for it.
 */

export type Backend = 'sqlite' | 'postgres' | 'mysql';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres', 'mysql'];

export interface SqlBench {
  /** "PostgreSQL 15.18", "MariaDB 10.11.19" */
  server: string;
  /** The store's --main-endpoint (holds a password: never log it). */
  storeEndpoint: string;
  /** kine's --endpoint (holds a password: never log it). */
  kineEndpoint: string;
  /** The durability settings the server reports, as one line for the output. */
  durability: string;
  /**
   * Single-row INSERTs one at a time, each committed on its own, from this
   * process's driver into a database of their own on the same server: what
   * one durable commit costs there, the least a Put on it can cost.
   */
  commits(slice: Slice): Promise<Measurement>;
  stop(): Promise<void>;
}

/** A connection to the commits' database, with their table made. */
interface Inserter {
  insert(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Why this backend cannot run here, or undefined. */
export function sqlMissing(backend: Exclude<Backend, 'sqlite'>): string | undefined {
  return backend === 'postgres' ? postgresMissing() : mariadbMissing();
}

/** The databases' names on the shared server. */
const STORE_DB = 'cnpaas_store';
const KINE_DB = 'kine';
const COMMITS_DB = 'commit_floor';

/** A started server with the store's and kine's databases in it: what the bench reports, or the server stopped again. */
async function benchOn(
  server: { url(database: string): string; stop(): Promise<void> },
  setUp: () => Promise<{ server: string; durability: string }>,
  inserter: () => Promise<Inserter>,
): Promise<SqlBench> {
  try {
    const reported = await setUp();
    return {
      ...reported,
      async commits(slice) {
        const db = await inserter();
        try {
          return await commitRow((key, value) => db.insert(key, value), slice);
        } finally {
          await db.close();
        }
      },
      // The store's mysql:// endpoint takes kine's form (README, "MySQL and MariaDB"); kine's own is mysql://user:pw@tcp(host:port)/db.
      storeEndpoint: server.url(STORE_DB),
      kineEndpoint: server.url(KINE_DB),
      stop: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function startPostgresBench(): Promise<SqlBench> {
  // fsync on: the tests' instances turn it off, a benchmark of durable stores must not.
  // Room for kine's pool (bench/kine.ts) beside the store's few connections.
  const server = await startPostgres(await freePort(), { fsync: true, maxConnections: 200 });
  const inserter = async (): Promise<Inserter> => {
    const client = new pg.Client({ connectionString: server.url(COMMITS_DB) });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS commits (k text PRIMARY KEY, v bytea NOT NULL)');
    const text = 'INSERT INTO commits (k, v) VALUES ($1, $2)';
    return {
      insert: async (k, v) => void (await client.query({ name: 'commit', text, values: [k, v] })),
      close: () => client.end(),
    };
  };
  return benchOn(
    server,
    async () => {
      await server.createDatabase(STORE_DB);
      await server.createDatabase(KINE_DB);
      await server.createDatabase(COMMITS_DB);
      const admin = new pg.Client({ connectionString: server.url() });
      await admin.connect();
      try {
        const show = async (name: string) =>
          (await admin.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
        const version = (await show('server_version')).split(' ')[0]!;
        const durability = `PostgreSQL fsync=${await show('fsync')}, synchronous_commit=${await show('synchronous_commit')}, wal_sync_method=${await show('wal_sync_method')}, full_page_writes=${await show('full_page_writes')} (server settings; neither the store nor kine changes them per session)`;
        return { server: `PostgreSQL ${version}`, durability };
      } finally {
        await admin.end();
      }
    },
    inserter,
  );
}

async function startMariadbBench(): Promise<SqlBench> {
  // A flush of the redo log at every commit (InnoDB's default); the tests' instances flush once a second.
  const server = await startMariadb({ durable: true });
  const inserter = async (): Promise<Inserter> => {
    // Over TCP with the store's account, as the store connects.
    const connection = await mysql.createConnection({
      host: '127.0.0.1',
      port: server.port,
      user: MARIADB_USER,
      password: server.password,
      database: COMMITS_DB,
    });
    await connection.query(
      'CREATE TABLE IF NOT EXISTS commits (k varchar(64) PRIMARY KEY, v longblob NOT NULL) ENGINE=InnoDB',
    );
    return {
      insert: async (k, v) => void (await connection.execute('INSERT INTO commits (k, v) VALUES (?, ?)', [k, v])),
      close: () => connection.end(),
    };
  };
  return benchOn(
    server,
    async () => {
      await server.admin(`CREATE DATABASE ${STORE_DB}; CREATE DATABASE ${KINE_DB}; CREATE DATABASE ${COMMITS_DB}`);
      const rows = (await server.admin(
        'SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_flush_method AS method, @@innodb_doublewrite AS doublewrite, @@log_bin AS log_bin',
      )) as Array<Record<string, unknown>>;
      const r = rows[0]!;
      const durability = `MariaDB innodb_flush_log_at_trx_commit=${String(r.flush)}, innodb_flush_method=${String(r.method)}, innodb_doublewrite=${String(r.doublewrite)}, log_bin=${String(r.log_bin)} (server settings; neither the store nor kine changes them per session)`;
      return { server: `MariaDB ${String(r.version).split('-')[0]}`, durability };
    },
    inserter,
  );
}

export function startSqlBench(backend: Exclude<Backend, 'sqlite'>): Promise<SqlBench> {
  return backend === 'postgres' ? startPostgresBench() : startMariadbBench();
}
