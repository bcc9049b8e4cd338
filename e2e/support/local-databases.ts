/**
 * The database servers a topology names, for a demo on a topology that routes
 * kinds to PostgreSQL or MySQL (examples/topologies/mixed.yaml).
 *
 * For each backend whose endpoint is a loopback postgres:// or mysql:// URL:
 * when something already listens on its port, that server is used as it is
 * (its password must then be in the variable the backend's passwordEnv
 * names); otherwise a throw-away server is started on that port from the
 * local binaries, with the endpoint's user and database, and its password is
 * put into that variable for the store. Without the binaries the demo stops
 * with what to install. Where each object landed is then read from every
 * backend, SQLite file or server, by the same needle.
 */
import path from 'node:path';
import { probePort } from '@cnpaas/service-kit';
import { loadTopology } from '@cnpaas/storage-shim';
import { keysContaining, networkKeysContaining } from '@cnpaas/storage-shim/inspect';
import {
  MARIADB_USER,
  PG_USER,
  mariadbMissing,
  postgresMissing,
  startMariadb,
  startPostgres,
} from '@cnpaas/storage-shim/testing';

/** One backend of the stack's topology, and how to read its keys. */
export interface BackendPlace {
  name: string;
  /** The endpoint without any password, for the narration. */
  where: string;
  keysContaining(needle: string): Promise<string[]>;
}

export interface LocalDatabases {
  /** The variables the store reads the started servers' passwords from. */
  env: Record<string, string>;
  /** Every backend of the topology, then `main` (main.db). */
  backends: BackendPlace[];
  /** One line per server started here (or found running), for the narration. */
  started: string[];
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

async function listening(port: number): Promise<boolean> {
  try {
    await probePort(port);
    return false;
  } catch {
    return true;
  }
}

/**
 * Starts what `topologyFile` needs and says where each backend's keys are;
 * `dataDir` holds the SQLite files. A topology of SQLite files alone (the
 * default) starts nothing.
 */
export async function startLocalDatabases(options: {
  topologyFile: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}): Promise<LocalDatabases> {
  const { topologyFile, dataDir } = options;
  const env: Record<string, string> = {};
  const started: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  const backends: BackendPlace[] = [];
  try {
    // The store's own parser: a topology it would refuse is refused here with the same message.
    for (const backend of loadTopology(topologyFile, dataDir).backends) {
      const { scheme } = backend;
      if (scheme === 'sqlite') {
        const file = backend.location;
        const where = path.relative(dataDir, file);
        backends.push({ name: backend.name, where, keysContaining: async (n) => sqliteKeys(dataDir, file, n) });
        continue;
      }
      const url = new URL(backend.endpoint);
      const isPostgres = scheme === 'postgres';
      const kind = isPostgres ? 'PostgreSQL' : 'MariaDB';
      const port = Number(url.port || (isPostgres ? 5432 : 3306));
      const database = decodeURIComponent(url.pathname.slice(1));
      const source = backend.connection.password;
      const passwordVar = source && 'env' in source ? source.env : undefined;
      if (!LOOPBACK.has(url.hostname) || !passwordVar) {
        throw new Error(
          `backend ${backend.name}: the demo starts only loopback databases whose password comes from passwordEnv; ${url.host} with ${passwordVar ? `passwordEnv ${passwordVar}` : 'no passwordEnv'} is left to you`,
        );
      }
      if (await listening(port)) {
        if (!options.env[passwordVar]) {
          throw new Error(
            `backend ${backend.name}: something listens on 127.0.0.1:${port} but ${passwordVar} is not set; export the password of ${url.username} there, or stop that server so the demo starts its own`,
          );
        }
        started.push(`${backend.name}: using the ${kind} already listening on 127.0.0.1:${port}`);
      } else {
        const missing = isPostgres ? postgresMissing() : mariadbMissing();
        if (missing) {
          throw new Error(
            `backend ${backend.name} needs ${kind} on 127.0.0.1:${port}: nothing listens there and ${missing}`,
          );
        }
        const user = isPostgres ? PG_USER : MARIADB_USER;
        if (decodeURIComponent(url.username) !== user) {
          throw new Error(
            `backend ${backend.name}: a ${kind} the demo starts has the user ${user}; write ${user}@ in its endpoint`,
          );
        }
        // Registered for stop() before the database is made, so a failed CREATE leaves no server behind.
        const server = isPostgres
          ? await startPostgres(port).then((pgServer) => {
              stops.push(() => pgServer.stop());
              return pgServer.createDatabase(database).then(() => pgServer);
            })
          : await startMariadb(port).then((mariadb) => {
              stops.push(() => mariadb.stop());
              return mariadb.admin(`CREATE DATABASE \`${database}\``).then(() => mariadb);
            });
        env[passwordVar] = server.password;
        started.push(`${backend.name}: started a throw-away ${kind} on 127.0.0.1:${port} (database ${database})`);
      }
      const password = env[passwordVar] ?? options.env[passwordVar];
      backends.push({
        name: backend.name,
        where: `${scheme}://${url.host}/${database}`,
        keysContaining: (needle) => networkKeysContaining({ endpoint: backend.endpoint, password, needle }),
      });
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
  backends.push({ name: 'main', where: 'main.db', keysContaining: async (n) => sqliteKeys(dataDir, 'main.db', n) });
  return {
    env,
    backends,
    started,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** Live and historical keys containing `needle` in one SQLite backend file (none if the file is not there yet). */
function sqliteKeys(dataDir: string, file: string, needle: string): string[] {
  const full = path.resolve(dataDir, file);
  const [dir, name] = [path.dirname(full), path.basename(full)];
  try {
    return [
      ...new Set([...keysContaining(dir, name, 'kv', needle), ...keysContaining(dir, name, 'history', needle)]),
    ].sort();
  } catch (err) {
    if (/unable to open|does not exist|ENOENT/i.test((err as Error).message)) return [];
    throw err;
  }
}
