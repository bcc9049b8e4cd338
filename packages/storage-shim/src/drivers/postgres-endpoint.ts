import type { ClientConfig } from 'pg';
import { PostgresDriver } from './postgres-driver.js';
import { type DriverFactory, EndpointError } from './registry-types.js';

/** A PostgreSQL endpoint, split into what `pg` connects with and what may be shown. */
export interface PostgresEndpoint {
  config: ClientConfig;
  /** The endpoint with its password replaced by `***`: the only form that may reach a log or an error. */
  display: string;
}

const SSL_MODES = new Set(['disable', 'require', 'verify-full']);

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=disable` (or
 * `postgresql://`). The password is kept out of every message: errors name
 * the endpoint only in its redacted form.
 */
export function parsePostgresEndpoint(endpoint: string): PostgresEndpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(
      `"${redact(endpoint)}" is not a valid URL`,
      'write postgres://user:password@host:5432/database?sslmode=disable',
    );
  }
  const display = redactUrl(url);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new EndpointError(`${display} is not a postgres:// URL`, 'write postgres://user:password@host/database');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database) {
    throw new EndpointError(`${display} names no host or no database`, 'write postgres://user:password@host/database');
  }
  const sslmode = url.searchParams.get('sslmode') ?? 'disable';
  if (!SSL_MODES.has(sslmode)) {
    throw new EndpointError(
      `${display}: sslmode "${sslmode}" is not supported`,
      `use one of ${[...SSL_MODES].join(', ')}`,
    );
  }
  for (const key of url.searchParams.keys()) {
    if (key !== 'sslmode') throw new EndpointError(`${display}: parameter "${key}" is not supported`, 'remove it');
  }
  const config: ClientConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ssl: sslmode === 'disable' ? false : { rejectUnauthorized: sslmode === 'verify-full' },
  };
  return { config, display };
}

function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

/** For text that did not even parse as a URL: drop anything between `:` and `@` of the authority. */
function redact(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
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
  resolve(rest, { scheme }) {
    const endpoint = `${scheme}://${rest}`;
    return { location: endpoint, display: parsePostgresEndpoint(endpoint).display };
  },
  open(endpoint) {
    return new PostgresDriver(parsePostgresEndpoint(endpoint.location));
  },
};
