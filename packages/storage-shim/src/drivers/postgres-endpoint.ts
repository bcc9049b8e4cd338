import type { ClientConfig } from 'pg';
import { DEFAULT_CONNECT_TIMEOUT_MS, type ConnectionSettings } from './connection-settings.js';
import { hostPort, networkFactory, onePassword, onlyParams, parseEndpointUrl, tlsSetting } from './network-endpoint.js';
import { PostgresDriver, type PostgresEndpoint } from './postgres-driver.js';
import { type DriverFactory, EndpointError } from './registry-types.js';

const SSL_MODES = {
  disable: false,
  require: { rejectUnauthorized: false },
  'verify-full': { rejectUnauthorized: true },
} as const;

/**
 * Set on every connection at its start. The store reads a range in key order
 * up to a limit, and an ordered scan of the key index stops at the limit.
 * With statistics older than the rows (a bulk load that autovacuum has not
 * analysed yet) the planner estimates a range at fewer rows than the limit
 * and picks a bitmap scan instead, which fetches every row of the rest of the
 * range and sorts them: each page of a 10,000-key list cost 13 ms where the
 * index scan takes 0.4 ms (docs/benchmarks.md). None of the store's
 * statements needs a bitmap scan.
 */
const PLANNER_OPTIONS = '-c enable_bitmapscan=off';

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=disable` (or
 * `postgresql://`) with the backend's connection settings. The password is
 * kept out of every message: errors name the endpoint only in its redacted
 * form. A password from passwordFile/passwordEnv is not read here
 * (`withSecrets` does, when the backend opens).
 */
export function parsePostgresEndpoint(endpoint: string, connection: ConnectionSettings = {}): PostgresEndpoint {
  const { url, display } = parseEndpointUrl(
    endpoint,
    'write postgres://user:password@host:5432/database?sslmode=disable',
  );
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new EndpointError(`${display} is not a postgres:// URL`, 'write postgres://user:password@host/database');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database) {
    throw new EndpointError(`${display} names no host or no database`, 'write postgres://user:password@host/database');
  }
  const ssl = tlsSetting(display, { name: 'sslmode', value: url.searchParams.get('sslmode') }, SSL_MODES, {
    fallback: 'disable',
    tls: connection.tls,
  });
  onlyParams(display, url.searchParams, ['sslmode']);
  onePassword(display, url.password !== '', connection);
  const config: ClientConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ssl,
    connectionTimeoutMillis: connection.pool?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    options: PLANNER_OPTIONS,
  };
  return { config, display };
}

/** `postgres://` and `postgresql://`: one backend per database. */
export const postgresFactory: DriverFactory = networkFactory({
  scheme: 'postgres',
  aliases: ['postgresql'],
  forms: ['postgres://user:password@host:5432/database?sslmode=disable'],
  parse: parsePostgresEndpoint,
  driver: (endpoint) => new PostgresDriver(endpoint),
  // The user belongs to it: PostgreSQL looks for unqualified tables in a schema named after the user first.
  identify: (c) =>
    `postgres://${encodeURIComponent(c.user ?? '')}@${hostPort(c.host, c.port)}/${encodeURIComponent(c.database ?? '')}`,
});
