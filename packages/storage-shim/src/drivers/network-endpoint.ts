import type { BackendDriver } from '../mvcc/backend.js';
import {
  type BackendTls,
  type ConnectionSettings,
  backendLabel,
  connectionOf,
  passwordSetting,
  readPassword,
  readPoolOf,
  readTlsFile,
} from './connection-settings.js';
import { type DriverFactory, EndpointError } from './registry-types.js';

/**
 * What the endpoints of network databases (postgres-endpoint.ts,
 * mysql-endpoint.ts) share: the password is replaced before any text of the
 * endpoint can reach a message, and TLS is either off, on with the server's
 * certificate verified, or on without verification. A mode that may fall
 * back to plain text (PostgreSQL's `prefer`, MySQL's `preferred`) is refused:
 * it would send the password in the clear to whoever answers.
 */
export type TlsSetting = false | { rejectUnauthorized: boolean };

export const REDACTED = '***';

/**
 * Parses a URL-form endpoint and its redacted form. An unencoded `@` or `/`
 * in a password makes a URL parse into a different host and path, which
 * would put pieces of the password into the displayed endpoint; more than one
 * `@` is therefore refused before anything of it is shown.
 */
export function parseEndpointUrl(endpoint: string, hint: string): { url: URL; display: string } {
  if (endpoint.indexOf('@') !== endpoint.lastIndexOf('@')) {
    throw new EndpointError(
      `"${redactText(endpoint)}" has more than one @`,
      `percent-encode an @ in the user or password as %40; ${hint}`,
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(`"${redactText(endpoint)}" is not a valid URL`, hint);
  }
  return { url, display: redactUrl(url) };
}

/** A parsed URL as it may be shown: the password replaced by `***`. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = REDACTED;
  return copy.href;
}

/** For text that did not even parse: drop anything between the first `:` and the last `@` of the authority. */
export function redactText(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/i, `$1:${REDACTED}@`);
}

/**
 * The TLS setting of a backend: the endpoint's `param` in the database's own
 * spelling of the modes (`modes` maps each accepted value), and the
 * topology's `backendTLS`, which turns TLS on and says whether to verify. When
 * both are given they must agree; neither means `fallback`.
 */
export function tlsSetting(
  display: string,
  param: { name: string; value: string | null },
  modes: Readonly<Record<string, TlsSetting>>,
  context: { fallback: string; tls: BackendTls | undefined },
): TlsSetting {
  const { name, value } = param;
  const { fallback, tls } = context;
  if (value !== null && !Object.hasOwn(modes, value)) {
    throw new EndpointError(
      `${display}: ${name} "${value}" is not supported`,
      `use one of ${Object.keys(modes).join(', ')}`,
    );
  }
  if (tls) {
    const wanted: TlsSetting = { rejectUnauthorized: !tls.skipVerify };
    const named = value === null ? undefined : modes[value]!;
    if (named !== undefined && (named === false || named.rejectUnauthorized !== wanted.rejectUnauthorized)) {
      const agree = Object.entries(modes).find(([, m]) => m !== false && m.rejectUnauthorized === !tls.skipVerify);
      throw new EndpointError(
        `${display}: ${name}=${value} contradicts backendTLS (${tls.skipVerify ? 'skipVerify: true' : 'verify the server'})`,
        `drop ${name} from the endpoint${agree ? ` or write ${name}=${agree[0]}` : ''}, or change backendTLS`,
      );
    }
    return wanted;
  }
  const setting = modes[value ?? fallback]!;
  // A copy: a client may keep, and change, the object it is given.
  return setting === false ? false : { ...setting };
}

/** The TLS options a client connects with: the mode, and backendTLS's files read now. */
export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  /** The name the server's certificate is checked against instead of the host (the worker applies it). */
  serverName?: string;
}

/**
 * What a worker connects with that the topology only points at: the password
 * from its file or variable and backendTLS's files, read when the backend
 * opens (the endpoint's parser has already refused a password in two places).
 */
export function withSecrets<C extends object>(config: C, connection: ConnectionSettings, label: string): C {
  // pg's and mysql2's options both name these two `password` and `ssl`.
  const out = { ...config } as C & { password?: string; ssl?: TlsSetting | TlsOptions };
  if (connection.password) out.password = readPassword(connection.password, label);
  const tls = connection.tls;
  if (tls && out.ssl) {
    const options: TlsOptions = { ...out.ssl };
    if (tls.caFile) options.ca = readTlsFile(tls.caFile, 'caFile', label).toString('utf8');
    if (tls.certFile) options.cert = readTlsFile(tls.certFile, 'certFile', label).toString('utf8');
    if (tls.keyFile) options.key = readTlsFile(tls.keyFile, 'keyFile', label).toString('utf8');
    if (tls.serverName) options.serverName = tls.serverName;
    out.ssl = options;
  }
  return out;
}

/** Refuses a password in the endpoint when passwordFile or passwordEnv names another place for it. */
export function onePassword(display: string, inUrl: boolean, connection: ConnectionSettings): void {
  if (inUrl && connection.password) {
    const field = passwordSetting(connection.password);
    throw new EndpointError(
      `${display} carries a password and ${field} is set too`,
      `remove the password from the endpoint (keep user@host) or drop ${field}`,
    );
  }
}

/** Refuses every query parameter but the ones a driver understands. */
export function onlyParams(display: string, params: URLSearchParams, allowed: readonly string[]): void {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) throw new EndpointError(`${display}: parameter "${key}" is not supported`, 'remove it');
  }
}

/** A network database's endpoint, split into what its client connects with and what may be shown. */
export interface ParsedEndpoint<C> {
  config: C;
  /** Connections for asynchronous reads (ConnectionPool.readPool). */
  readPool?: number;
  /** The endpoint with its password replaced by `***`: the only form that may reach a log or an error. */
  display: string;
}

/**
 * The driver factory of a network database: one backend per database. The
 * location is the full endpoint (the driver needs the password to connect);
 * only its redacted form is ever shown. A password or TLS file from the
 * backend's connection settings is read when the backend opens.
 */
export function networkFactory<C extends object>(database: {
  scheme: string;
  aliases?: readonly string[];
  forms: readonly string[];
  parse: (endpoint: string, connection: ConnectionSettings) => ParsedEndpoint<C>;
  driver: (endpoint: ParsedEndpoint<C>) => BackendDriver;
  /** The database a parsed endpoint connects to (DriverFactory.identity), from its client options. */
  identify: (config: C) => string;
}): DriverFactory {
  const { parse, driver, identify, ...names } = database;
  return {
    ...names,
    identity(endpoint) {
      return identify(parse(endpoint.location, connectionOf(endpoint)).config);
    },
    resolve(rest, { scheme, connection }) {
      const endpoint = `${scheme}://${rest}`;
      return { location: endpoint, display: parse(endpoint, connection).display };
    },
    open(endpoint) {
      const connection = connectionOf(endpoint);
      const parsed = parse(endpoint.location, connection);
      return driver({
        ...parsed,
        config: withSecrets(parsed.config, connection, backendLabel(endpoint)),
        readPool: readPoolOf(connection),
      });
    },
  };
}

/**
 * `host:port` as a database identity writes it: the host in lower case (DNS
 * names are case-insensitive), an IPv6 address in brackets.
 */
export function hostPort(host: string | undefined, port: number | undefined): string {
  const h = (host ?? '').toLowerCase();
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}
