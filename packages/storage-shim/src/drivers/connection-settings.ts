import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../config/duration.js';
import { StoreError } from '../errors.js';
import type { BackendEndpoint } from '../mvcc/backend.js';

/**
 * How a backend in a network database connects, beyond its endpoint URL: the
 * topology fields `passwordFile` / `passwordEnv`, `backendTLS` and
 * `connectionPool`. The topology keeps only where the secrets are (a path, a
 * variable's name); the driver reads them when it opens the backend, so no
 * password ever sits in the parsed topology, and a program that only reads the
 * topology for its routes (the console) needs no access to them.
 */
export type PasswordSource = ({ file: string } | { env: string }) & {
  /** How the user set it, for messages: the topology's passwordFile/passwordEnv unless a flag says otherwise. */
  setBy?: string;
};

/** The name the user gave this password source under, for a message that tells them what to change. */
export function passwordSetting(source: PasswordSource): string {
  return source.setBy ?? ('file' in source ? 'passwordFile' : 'passwordEnv');
}

/** HariKube's `backendTLS` (caFile, certFile, keyFile, skipVerify), plus `serverName`. */
export interface BackendTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** The name the server's certificate must carry, when the endpoint's host is not it (an IP address). */
  serverName?: string;
  skipVerify: boolean;
}

/**
 * What the store honours of HariKube's `connectionPool`. A backend holds a
 * writer for its batch's transaction, a reader for the synchronous reads, and
 * `readPool` connections for the requests that do not block (Ranges outside
 * a batch, compaction, a batch sent whole), one of them on the main thread
 * (sql-bridge.ts), the rest in the worker (sql-worker-host.ts), each opened on
 * first use and kept: `maxOpen` bounds them all (at least the first two;
 * `maxOpen - 2` in the pool, none left means every request goes through the
 * worker and the asynchronous reads share the reader), and maxIdle,
 * maxLifeTime and maxIdleTime have nothing to act on. `connectTimeout` (ours)
 * bounds each connection attempt, DNS included.
 */
export interface ConnectionPool {
  connectTimeoutMs: number;
  readPool: number;
}

/** Connections for asynchronous reads when `maxOpen` does not say (0 or unset): concurrent Ranges then run side by side. */
export const DEFAULT_READ_POOL = 8;

/** Below the 30 s a query waits for its answer (sql-bridge.ts), so a connect error is what the store reports. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const MAX_CONNECT_TIMEOUT_MS = 25_000;

export interface ConnectionSettings {
  password?: PasswordSource;
  tls?: BackendTls;
  pool?: ConnectionPool;
}

/**
 * The topology hands the driver registry its backend objects, which carry
 * these beside the endpoint (routing/topology.ts BackendConfig).
 */
export interface ConnectedEndpoint extends BackendEndpoint {
  name?: string;
  connection?: ConnectionSettings;
}

/** Where a refusal points: `field` is relative to the backend (`passwordFile`, `backendTLS.caFile`). */
export type SettingRefusal = (field: string, reason: string, hint: string) => Error;

/**
 * Reads `passwordFile`, `passwordEnv` and `backendTLS` of one backend from
 * its topology entry. Relative file paths are relative to the topology
 * file's directory.
 */
export function parseConnectionSettings(
  raw: Record<string, unknown>,
  context: { baseDir: string; refuse: SettingRefusal; warn: (field: string, text: string) => void },
): ConnectionSettings {
  const { baseDir, refuse, warn } = context;
  const settings: ConnectionSettings = {};
  const text = (field: string, value: unknown): string => {
    if (typeof value !== 'string' || value === '') throw refuse(field, 'must be a non-empty string', `set ${field}`);
    return value;
  };
  const path = (field: string, value: unknown) => {
    const p = text(field, value);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  if (raw.passwordFile !== undefined && raw.passwordEnv !== undefined) {
    throw refuse(
      'passwordFile',
      'and passwordEnv are both set',
      'keep one of them: the password comes from one place only',
    );
  }
  if (raw.passwordFile !== undefined) settings.password = { file: path('passwordFile', raw.passwordFile) };
  if (raw.passwordEnv !== undefined) {
    const env = text('passwordEnv', raw.passwordEnv);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) {
      throw refuse(
        'passwordEnv',
        `"${env}" is not an environment variable name`,
        'give the name, e.g. TENANTS_DB_PASSWORD',
      );
    }
    settings.password = { env };
  }
  if (raw.backendTLS !== undefined && raw.backendTLS !== null) {
    const tls = raw.backendTLS;
    if (typeof tls !== 'object' || Array.isArray(tls)) {
      throw refuse('backendTLS', 'must be a mapping', 'e.g. backendTLS: { caFile: /etc/db/ca.crt }');
    }
    const t = tls as Record<string, unknown>;
    const known = ['caFile', 'certFile', 'keyFile', 'serverName', 'skipVerify'];
    for (const key of Object.keys(t)) {
      if (!known.includes(key))
        throw refuse(`backendTLS.${key}`, 'is not a known field', `known fields: ${known.join(', ')}`);
    }
    if (t.skipVerify !== undefined && typeof t.skipVerify !== 'boolean') {
      throw refuse('backendTLS.skipVerify', 'must be true or false', 'write skipVerify: true or leave it out');
    }
    const result: BackendTls = { skipVerify: t.skipVerify === true };
    if (t.caFile !== undefined) result.caFile = path('backendTLS.caFile', t.caFile);
    if (t.certFile !== undefined) result.certFile = path('backendTLS.certFile', t.certFile);
    if (t.keyFile !== undefined) result.keyFile = path('backendTLS.keyFile', t.keyFile);
    if (t.serverName !== undefined) result.serverName = text('backendTLS.serverName', t.serverName);
    if ((result.certFile === undefined) !== (result.keyFile === undefined)) {
      throw refuse(
        result.certFile ? 'backendTLS.certFile' : 'backendTLS.keyFile',
        'is set without its pair',
        'a client certificate needs both certFile and keyFile',
      );
    }
    if (result.skipVerify && (result.caFile !== undefined || result.serverName !== undefined)) {
      throw refuse(
        'backendTLS.skipVerify',
        'is true, so caFile and serverName would be ignored',
        'drop skipVerify to verify the server with caFile, or drop caFile/serverName',
      );
    }
    settings.tls = result;
  }
  if (raw.connectionPool !== undefined && raw.connectionPool !== null) {
    settings.pool = parsePool(raw.connectionPool, { refuse, warn });
  }
  return settings;
}

const IGNORED_POOL_FIELDS: Readonly<Record<string, string>> = {
  maxIdle: 'the backend keeps its connections open',
  maxLifeTime: 'the backend keeps its connections for its lifetime',
  maxIdleLifeTime: 'the backend keeps its connections for its lifetime',
  maxIdleTime: 'the backend keeps its connections for its lifetime',
};

function parsePool(
  raw: unknown,
  context: { refuse: SettingRefusal; warn: (field: string, text: string) => void },
): ConnectionPool {
  const { refuse, warn } = context;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw refuse('connectionPool', 'must be a mapping', 'e.g. connectionPool: { connectTimeout: 5s }');
  }
  const pool = raw as Record<string, unknown>;
  const known = ['maxOpen', 'connectTimeout', ...Object.keys(IGNORED_POOL_FIELDS)];
  for (const key of Object.keys(pool)) {
    if (!known.includes(key))
      throw refuse(`connectionPool.${key}`, 'is not a known field', `known fields: ${known.join(', ')}`);
    if (key in IGNORED_POOL_FIELDS) warn(`connectionPool.${key}`, `is ignored: ${IGNORED_POOL_FIELDS[key]}`);
  }
  if (pool.maxOpen !== undefined) {
    const n = pool.maxOpen;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw refuse('connectionPool.maxOpen', 'must be a whole number, 0 for no limit', 'e.g. maxOpen: 10');
    }
    if (n === 1) {
      throw refuse(
        'connectionPool.maxOpen',
        'is 1, but a backend needs two connections (one for its write batch, one for reads)',
        'set maxOpen to 2 or more, or 0 for no limit',
      );
    }
  }
  let connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  if (pool.connectTimeout !== undefined) {
    const ms = typeof pool.connectTimeout === 'string' ? parseDuration(pool.connectTimeout) : undefined;
    if (ms === undefined || ms < 1 || ms > MAX_CONNECT_TIMEOUT_MS) {
      throw refuse(
        'connectionPool.connectTimeout',
        `${JSON.stringify(pool.connectTimeout)} is not a duration from 1ms to ${MAX_CONNECT_TIMEOUT_MS / 1000}s`,
        'write e.g. connectTimeout: 5s',
      );
    }
    connectTimeoutMs = ms;
  }
  return poolOf(typeof pool.maxOpen === 'number' ? pool.maxOpen : 0, connectTimeoutMs);
}

/** The pool of a network backend's settings: its connectionPool's, or the default when it has none. */
export function readPoolOf(connection: ConnectionSettings): number {
  return connection.pool?.readPool ?? DEFAULT_READ_POOL;
}

/**
 * The pool that `maxOpen` connections allow (checked: 0, or 2 and more): the
 * writer, the reader and the rest for the requests that do not block; 0 keeps
 * the default pool beside the first two. Also --main-max-open's (flags.ts).
 */
export function poolOf(maxOpen: number, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): ConnectionPool {
  return { connectTimeoutMs, readPool: maxOpen === 0 ? DEFAULT_READ_POOL : maxOpen - 2 };
}

/** The endpoint's settings, if the registry was handed a topology backend. */
export function connectionOf(endpoint: BackendEndpoint): ConnectionSettings {
  return (endpoint as ConnectedEndpoint).connection ?? {};
}

/** How a backend is named in an open-time error: its name and its displayed endpoint. */
export function backendLabel(endpoint: BackendEndpoint): string {
  const name = (endpoint as ConnectedEndpoint).name;
  return name ? `backend ${name} (${endpoint.display})` : endpoint.display;
}

/**
 * The password from its file or variable, read when the backend opens. One
 * trailing newline of a file is dropped (what `echo` and most secret mounts
 * leave); an empty password is refused rather than tried.
 */
export function readPassword(source: PasswordSource, label: string): string {
  let value: string | undefined;
  if ('file' in source) {
    try {
      value = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new StoreError(
        'CNPAAS_STORE_BACKEND_CREDENTIALS',
        `${label}: ${passwordSetting(source)} ${source.file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        `create the file (readable by the store) or correct the path given to ${passwordSetting(source)}`,
      );
    }
    if (value === '') {
      throw new StoreError(
        'CNPAAS_STORE_BACKEND_CREDENTIALS',
        `${label}: ${passwordSetting(source)} ${source.file} is empty`,
        'write the password into the file',
      );
    }
    return value;
  }
  value = process.env[source.env];
  if (value === undefined || value === '') {
    throw new StoreError(
      'CNPAAS_STORE_BACKEND_CREDENTIALS',
      `${label}: ${passwordSetting(source)} ${source.env} is ${value === undefined ? 'not set' : 'empty'}`,
      `set ${source.env} to the password in the store's environment`,
    );
  }
  return value;
}

/** A TLS file's contents, read when the backend opens. */
export function readTlsFile(path: string, field: string, label: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StoreError(
      'CNPAAS_STORE_BACKEND_TLS',
      `${label}: backendTLS.${field} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'create the file (readable by the store) or correct the path in the topology',
    );
  }
}
