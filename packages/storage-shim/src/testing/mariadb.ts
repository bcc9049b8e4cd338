import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerTls, serverDir } from './server-dir.js';
import { serverProcess } from './server-process.js';
import mysql from 'mysql2/promise';

/** The account the store logs in with; its password is random per instance. */
export const MARIADB_USER = 'cnpaas';

export interface MariadbHandle {
  port: number;
  password: string;
  /** The server's unix socket, in the instance's temp dir. */
  socket: string;
  /** mysql://cnpaas:<password>@tcp(127.0.0.1:<port>)/<database>, as kine writes it. */
  url(database: string): string;
  /** Runs statements as root over the socket (creating databases, inspecting tables). */
  admin(sql: string, database?: string): Promise<unknown>;
  /** A clean shutdown keeping the data dir (a restart's first half): every session ends. */
  shutdown(): Promise<void>;
  /** Starts the server again on the same port and data dir after `shutdown`, and waits until it takes logins. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A program on PATH or in the sbin directories, which a non-root PATH often lacks (mariadbd is in /usr/sbin). */
function which(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  return dirs
    .filter((d) => d.startsWith('/'))
    .map((d) => join(d, program))
    .find((p) => existsSync(p));
}

/** Why MariaDB tests cannot run here, or undefined when they can. */
export function mariadbMissing(): string | undefined {
  for (const program of ['mariadbd', 'mariadb-install-db']) {
    if (!which(program)) return `${program} not found on PATH or in /usr/sbin (apt-get install mariadb-server)`;
  }
  return undefined;
}

/**
 * Starts a throw-away MariaDB on `port` (a free loopback port the caller
 * picked, as for startPostgres), in its own temp dir,
 * with a password account for the store. mariadbd runs as the `mysql` system
 * user when the tests run as root, under setpriv (which execs, so the pid we
 * hold is mariadbd's and we stop it by that pid). root can log in only over
 * the socket in the temp dir; the store logs in over TCP with a password.
 * With `tls` (PEM texts), the server offers TLS and the store's account over
 * TCP must log in with a client certificate issued by `tls.ca` (REQUIRE X509).
 * Tests flush the redo log about once a second (throw-away data); `durable:
 * true` flushes it at every commit, InnoDB's default, as the store benchmark needs.
 * Exported as `@cnpaas/storage-shim/testing` beside startPostgres.
 */
export async function startMariadb(
  port: number,
  options: { tls?: ServerTls; durable?: boolean } = {},
): Promise<MariadbHandle> {
  const { dir, run, init, ownedTls } = serverDir('cnpaas-mariadb-', 'mysql');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  init(which('mariadb-install-db')!, [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);
  const tls = options.tls && ownedTls(options.tls);
  const tlsArgs = tls ? [`--ssl-cert=${tls.cert}`, `--ssl-key=${tls.key}`, `--ssl-ca=${tls.ca}`] : [];
  const argv = run(which('mariadbd')!, [
    '--no-defaults',
    `--datadir=${data}`,
    '--bind-address=127.0.0.1',
    `--port=${port}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
    // Throw-away data: no flush per commit, as the PostgreSQL tests run with fsync=off.
    `--innodb-flush-log-at-trx-commit=${options.durable ? 1 : 0}`,
    ...tlsArgs,
  ]);
  const admin = async (sql: string, database?: string) => {
    const c = await mysql.createConnection({ socketPath: socket, user: 'root', database, multipleStatements: true });
    try {
      return (await c.query(sql))[0];
    } finally {
      await c.end();
    }
  };
  // A clean shutdown is SIGTERM to mariadbd.
  const { launch, shutdown, stop } = serverProcess({
    name: 'MariaDB',
    argv,
    dir,
    stopSignal: 'SIGTERM',
    ready: async () => void (await admin('SELECT 1')),
  });
  await launch();
  // Root only over the socket; the store's account has a password, over TCP and over the socket.
  await admin(`
    DELETE FROM mysql.global_priv WHERE user = 'root' AND host <> 'localhost';
    DELETE FROM mysql.global_priv WHERE user = '';
    FLUSH PRIVILEGES;
    CREATE USER '${MARIADB_USER}'@'127.0.0.1' IDENTIFIED BY '${password}';
    CREATE USER '${MARIADB_USER}'@'localhost' IDENTIFIED BY '${password}';
    GRANT ALL ON *.* TO '${MARIADB_USER}'@'127.0.0.1';
    GRANT ALL ON *.* TO '${MARIADB_USER}'@'localhost';
  `);
  if (options.tls) await admin(`ALTER USER '${MARIADB_USER}'@'127.0.0.1' REQUIRE X509`);
  const url = (database: string) => `mysql://${MARIADB_USER}:${password}@tcp(127.0.0.1:${port})/${database}`;
  return { port, password, socket, url, admin, stop, shutdown, start: launch };
}
