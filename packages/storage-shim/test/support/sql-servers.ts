import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseMysqlEndpoint } from '../../src/drivers/mysql-endpoint.js';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import type { Dialect } from '../../src/drivers/sql/dialect.js';
import { MYSQL_SESSION, mysqlDialect, mysqlStatements } from '../../src/drivers/sql/mysql-dialect.js';
import { postgresDialect } from '../../src/drivers/sql/postgres-dialect.js';
import { MARIADB_USER, mariadbMissing, startMariadb } from './mariadb.js';
import { PG_USER, postgresMissing, startPostgres } from './postgres.js';

/**
 * The network databases the store has drivers for, behind one face, so that
 * each live suite about them is written once and runs on every server
 * (test/sql-backends/).
 */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number }>;
  end(): Promise<void>;
}

export interface SqlServerHandle {
  port: number;
  password: string;
  /** The store's endpoint for a database of this server. */
  url(database: string): string;
  /** The endpoint over the server's unix socket, where the driver has that form. */
  socketUrl?(database: string): string;
  /** That endpoint as the store shows it: without the password. */
  display(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** A client logged in as the store's account, with another password if given. */
  connect(database: string, password?: string): Promise<SqlClient>;
  stop(): Promise<void>;
}

export interface SqlServer {
  readonly name: string;
  readonly dialect: Dialect;
  /** A migration script as the statements this server runs. */
  statements(script: string): string[];
  /** What the server says when it refuses a password. */
  readonly loginRefused: string;
  /** Whether a migration is all or nothing (network-sql-driver.ts ServerSpecifics). */
  readonly transactionalDdl: boolean;
  /** What the driver's settings() reports for the instance start() runs. */
  readonly settings: Record<string, unknown>;
  /** Whether the handle has `socketUrl`. */
  readonly socket: boolean;
  missing(): string | undefined;
  start(): Promise<SqlServerHandle>;
}

const postgres: SqlServer = {
  name: 'PostgreSQL 15',
  dialect: postgresDialect,
  statements: (script) => [script],
  loginRefused: 'password authentication failed',
  socket: false,
  transactionalDdl: true,
  // The test servers keep failed statements' text out of their log (src/testing/postgres.ts).
  settings: { synchronousCommit: 'on', logMinErrorStatement: 'log' },
  missing: postgresMissing,
  async start() {
    const server = await startPostgres();
    const connect = async (database: string, password?: string): Promise<SqlClient> => {
      const config = parsePostgresEndpoint(server.url(database)).config;
      const c = new pg.Client({ ...config, ...(password === undefined ? {} : { password }) });
      try {
        await c.connect();
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      return {
        async query(text, params = []) {
          // pg binds no BigInt; PostgreSQL reads decimal text into BIGINT exactly.
          const values = params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
          const r = await c.query(text, values);
          return { rows: r.rows as Array<Record<string, unknown>>, rowCount: r.rowCount ?? 0 };
        },
        end: () => c.end(),
      };
    };
    return {
      port: server.port,
      password: server.password,
      url: (database) => server.url(database),
      display: (database) => `postgres://${PG_USER}:***@127.0.0.1:${server.port}/${database}?sslmode=disable`,
      async createDatabase(name) {
        const c = await connect('postgres');
        await c.query(`CREATE DATABASE ${name}`);
        await c.end();
      },
      connect,
      stop: () => server.stop(),
    };
  },
};

const mariadb: SqlServer = {
  name: 'MariaDB',
  dialect: mysqlDialect,
  statements: mysqlStatements,
  loginRefused: 'Access denied for user',
  socket: true,
  transactionalDdl: false,
  // startMariadb runs without a flush per commit and without a binary log.
  settings: { innodbFlushLogAtTrxCommit: 0, syncBinlog: 0, logBin: false },
  missing: mariadbMissing,
  async start() {
    const server = await startMariadb();
    const connect = async (database: string, password?: string): Promise<SqlClient> => {
      const config = parseMysqlEndpoint(server.url(database)).config;
      const c = await mysql.createConnection({
        ...config,
        ...(password === undefined ? {} : { password }),
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
      for (const s of MYSQL_SESSION) await c.query(s);
      return {
        async query(text, params = []) {
          const [r] = await c.query(text, params);
          if (Array.isArray(r)) return { rows: r as Array<Record<string, unknown>>, rowCount: r.length };
          return { rows: [], rowCount: (r as mysql.ResultSetHeader).affectedRows };
        },
        end: () => c.end(),
      };
    };
    return {
      port: server.port,
      password: server.password,
      url: (database) => server.url(database),
      socketUrl: (database) => `mysql://${MARIADB_USER}:${server.password}@unix(${server.socket})/${database}`,
      display: (database) => `mysql://${MARIADB_USER}:***@tcp(127.0.0.1:${server.port})/${database}`,
      createDatabase: async (name) => void (await server.admin(`CREATE DATABASE ${name}`)),
      connect,
      stop: () => server.stop(),
    };
  },
};

export const SQL_SERVERS: readonly SqlServer[] = [postgres, mariadb];
