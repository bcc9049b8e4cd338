import { join } from 'node:path';
import type { BackendEndpoint, BackendOpener } from '../mvcc/backend.js';
import { MetaStore } from './meta-store.js';
import { makePrivateDir } from './private-files.js';
import { type ConnectionSettings, connectionOf, readPoolOf } from './connection-settings.js';
import { withSecrets } from './network-endpoint.js';
import { EndpointError, type DriverFactory } from './registry-types.js';
import { mysqlFactory } from './mysql-endpoint.js';
import { parsePostgresEndpoint, postgresFactory } from './postgres-endpoint.js';
import { MysqlDriver } from './mysql-driver.js';
import { parseMysqlEndpoint } from './mysql-endpoint.js';
import type { NetworkSqlDriver } from './network-sql-driver.js';
import { postgresCommitListener } from './postgres-commit-listener.js';
import { PostgresDriver } from './postgres-driver.js';
import { type CommitNotifier, SharedMeta } from './shared-meta.js';
import type { SharedMainEndpoint } from './shared-topology.js';
import type { Logger } from 'pino';
import { sqliteFactory } from './sqlite-endpoint.js';

export { EndpointError, type DriverFactory } from './registry-types.js';

/**
 * Scheme → driver (kine's endpoint package). Only drivers that work are
 * listed: an endpoint with any other scheme stops the store at start-up with
 * the list of these.
 */
const DRIVERS: readonly DriverFactory[] = [sqliteFactory, postgresFactory, mysqlFactory];
const FACTORIES: ReadonlyMap<string, DriverFactory> = new Map(
  DRIVERS.flatMap((f) => [f.scheme, ...(f.aliases ?? [])].map((s) => [s, f] as const)),
);

/** The schemes and forms the store accepts, for messages. */
export function supportedEndpoints(): string {
  return DRIVERS.map((f) => f.forms.join(', ')).join('; ');
}

/**
 * Parses a topology endpoint: `scheme://rest`, or a bare path for SQLite,
 * with the backend's connection settings (none if not given). `warnings`
 * collects what is accepted but ignored.
 */
export function resolveEndpoint(
  endpoint: string,
  context: { dataDir: string; warnings: string[]; connection?: ConnectionSettings },
): BackendEndpoint {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(endpoint);
  const scheme = match ? match[1]! : sqliteFactory.scheme;
  const rest = match ? match[2]! : endpoint;
  const factory = FACTORIES.get(scheme);
  if (!factory) {
    throw new EndpointError(
      `scheme "${scheme}" is not supported (supported: ${[...FACTORIES.keys()].join(', ')})`,
      `write the endpoint as one of: ${supportedEndpoints()}`,
    );
  }
  const { dataDir, warnings, connection = {} } = context;
  return { scheme: factory.scheme, ...factory.resolve(rest, { scheme, dataDir, warnings, connection }) };
}

/** The database an endpoint resolved by resolveEndpoint names (DriverFactory.identity). */
export function databaseIdentity(endpoint: BackendEndpoint): string {
  const factory = FACTORIES.get(endpoint.scheme);
  if (!factory) throw new EndpointError(`scheme "${endpoint.scheme}" is not supported`, supportedEndpoints());
  return factory.identity(endpoint);
}

/**
 * The main backend and the replicas' meta beside it, agreeing first on the
 * topology the endpoint carries (store-server.ts); the driver is closed again
 * if the meta cannot start.
 */
function shared(opening: {
  endpoint: BackendEndpoint;
  main: NetworkSqlDriver;
  log: Logger;
  notifier?: CommitNotifier;
}) {
  const { endpoint, main, log, notifier } = opening;
  const { topology } = endpoint as SharedMainEndpoint;
  try {
    return {
      main,
      meta: new SharedMeta({ main, log, ...(notifier ? { notifier } : {}), ...(topology ? { topology } : {}) }),
    };
  } catch (err) {
    void main.close();
    throw err;
  }
}

/** Opens each database through the driver its scheme names. */
export const registry: BackendOpener = {
  openMeta(dataDir, options) {
    makePrivateDir(dataDir);
    return new MetaStore(join(dataDir, 'meta.db'), options);
  },
  openDefault(dataDir, options) {
    const location = join(dataDir, 'main.db');
    return sqliteFactory.open({ scheme: sqliteFactory.scheme, location, display: location }, options);
  },
  openShared(endpoint, _options, log) {
    // The password may come from --main-password-file/-env rather than the URL: read it now, as open() does.
    const connection = connectionOf(endpoint);
    const label = `--main-endpoint ${endpoint.display}`;
    // Its asynchronous reads (Ranges, the linearizable reads' revision) get a pool, as any network backend's do.
    const readPool = readPoolOf(connection);
    if (endpoint.scheme === postgresFactory.scheme) {
      const parsed = parsePostgresEndpoint(endpoint.location, connection);
      const config = withSecrets(parsed.config, connection, label);
      const main = new PostgresDriver({ ...parsed, config, readPool });
      return shared({ endpoint, main, log, notifier: postgresCommitListener(config) });
    }
    if (endpoint.scheme === mysqlFactory.scheme) {
      const parsed = parseMysqlEndpoint(endpoint.location, connection);
      const main = new MysqlDriver({ ...parsed, config: withSecrets(parsed.config, connection, label), readPool });
      return shared({ endpoint, main, log });
    }
    throw new EndpointError(
      `--main-endpoint ${endpoint.display}: only PostgreSQL, MySQL and MariaDB can hold a main backend that replicas share`,
      'give a postgres:// or mysql:// endpoint, or leave --main-endpoint out to keep main.db and meta.db in the data dir',
    );
  },
  open(endpoint, options) {
    const factory = FACTORIES.get(endpoint.scheme);
    // resolveEndpoint checked the scheme when the topology was read.
    if (!factory) throw new EndpointError(`scheme "${endpoint.scheme}" is not supported`, supportedEndpoints());
    return factory.open(endpoint, options);
  },
};
