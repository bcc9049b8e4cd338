import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerTls, serverDir } from './server-dir.js';
import { serverProcess } from './server-process.js';
import pg from 'pg';

const BIN = '/usr/lib/postgresql/15/bin';
/** The superuser the test instance is created with; its password is random per instance. */
export const PG_USER = 'cnpaas';

export interface PostgresHandle {
  port: number;
  password: string;
  /** The directory of the server's unix socket (what `host` names for a socket connection). */
  socketDir: string;
  /** postgres://cnpaas:<password>@127.0.0.1:<port>/<database>?sslmode=disable */
  url(database?: string): string;
  /** Creates an empty database (a name of letters, digits and underscores). */
  createDatabase(name: string): Promise<void>;
  /** Fast shutdown keeping the data dir (a restart's first half): every session ends. */
  shutdown(): Promise<void>;
  /** Starts the server again on the same port and data dir after `shutdown`, and waits until it takes logins. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'postgres'))) {
    return `PostgreSQL 15 binaries not found in ${BIN} (apt-get install postgresql-15)`;
  }
  return undefined;
}

/** PEM texts for a server that accepts TCP logins only over TLS, with a client certificate from `ca`. */
export type PostgresTls = ServerTls;

/**
 * Starts a throw-away PostgreSQL 15 on `port` (a free loopback port the caller
 * picked: each package has its own picker), in its own temp dir. Exported as
 * `@cnpaas/storage-shim/testing` for other packages' live tests of replicas
 * (docs/replicas.md); the store itself never uses it. postgres refuses to run as root, so when the tests run as root the
 * cluster belongs to the `postgres` system user and runs under setpriv (which
 * execs, so the pid we hold is the postmaster's and we stop it by that pid).
 * With `tls`, TCP logins need TLS and a client certificate issued by `tls.ca`
 * for the user (clientcert=verify-full); the unix socket still takes the
 * password alone. Tests run with fsync=off (throw-away data); `fsync: true`
 * keeps PostgreSQL's durable default, as the store benchmark needs;
 * `maxConnections` raises the server's limit of 100 (the benchmark's kine
 * keeps a large pool).
 */
export async function startPostgres(
  port: number,
  options: { tls?: PostgresTls; fsync?: boolean; maxConnections?: number } = {},
): Promise<PostgresHandle> {
  const { dir, run, owned, init, ownedTls } = serverDir('cnpaas-pg-', 'postgres');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwfile = owned('pwfile', `${password}\n`);
  const data = join(dir, 'data');
  init(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    PG_USER,
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--no-sync',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  const tlsArgs: string[] = [];
  if (options.tls) {
    const tls = ownedTls(options.tls);
    const hba = owned(
      'pg_hba.conf',
      'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full\n',
    );
    tlsArgs.push(
      ...['-c', 'ssl=on', '-c', `ssl_cert_file=${tls.cert}`, '-c', `ssl_key_file=${tls.key}`],
      ...['-c', `ssl_ca_file=${tls.ca}`, '-c', `hba_file=${hba}`],
    );
  }
  const argv = run(join(BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    `fsync=${options.fsync ? 'on' : 'off'}`,
    // A refused optimistic batch is an ERROR whose statement holds the rows' values: keep those out of the log.
    '-c',
    'log_min_error_statement=log',
    ...(options.maxConnections ? ['-c', `max_connections=${options.maxConnections}`] : []),
    ...tlsArgs,
  ]);
  const url = (database = 'postgres') =>
    `postgres://${PG_USER}:${password}@127.0.0.1:${port}/${database}?sslmode=disable`;
  // A clean shutdown is the fast one, SIGINT to the postmaster, as `pg_ctl -m fast`.
  const { launch, shutdown, stop } = serverProcess({
    name: 'PostgreSQL',
    argv,
    dir,
    stopSignal: 'SIGINT',
    ready: async () => {
      // Over the socket: a server with `tls` takes no plain TCP login.
      const client = new pg.Client({ host: dir, port, user: PG_USER, password, database: 'postgres' });
      try {
        await client.connect();
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  });
  await launch();
  const createDatabase = async (name: string) => {
    if (!/^\w+$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    const admin = new pg.Client({ host: dir, port, user: PG_USER, password, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
  };
  return { port, password, socketDir: dir, url, createDatabase, stop, shutdown, start: launch };
}
