import type { ClientConfig } from 'pg';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  backendLabel,
  connectionOf,
  type ConnectionSettings,
} from './connection-settings.js';
import { onePassword, onlyParams, parseEndpointUrl, tlsSetting, withSecrets } from './network-endpoint.js';
import { PostgresDriver } from './postgres-driver.js';
import { type DriverFactory, EndpointError } from './registry-types.js';

/** A PostgreSQL endpoint, split into what `pg` connects with and what may be shown. */
export interface PostgresEndpoint {
  config: ClientConfig;
  /** The endpoint with its password replaced by `***`: the only form that may reach a log or an error. */
  display: string;
}

const SSL_MODES = {
  disable: false,
  require: { rejectUnauthorized: false },
  'verify-full': { rejectUnauthorized: true },
} as const;

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
  };
  return { config, display };
}

/**
 * `postgres://` and `postgresql://`: one backend per database. The location
 * is the full URL (the driver needs the password to connect); only its
 * redacted form is ever shown.
 */
export const postgresFactory: DriverFactory = {
  scheme: 'postgres',
  aliases: ['postgresql'],
  forms: ['postgres://user:password@host:5432/database?sslmode=disable'],
  resolve(rest, { scheme, connection }) {
    const endpoint = `${scheme}://${rest}`;
    return { location: endpoint, display: parsePostgresEndpoint(endpoint, connection).display };
  },
  open(endpoint) {
    const connection = connectionOf(endpoint);
    const parsed = parsePostgresEndpoint(endpoint.location, connection);
    return new PostgresDriver({ ...parsed, config: withSecrets(parsed.config, connection, backendLabel(endpoint)) });
  },
};
