import { isIP } from 'node:net';
import type { ConnectionOptions } from 'mysql2';
import { MysqlDriver, type MysqlEndpoint } from './mysql-driver.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type ConnectionSettings } from './connection-settings.js';
import {
  REDACTED,
  hostPort,
  networkFactory,
  onePassword,
  onlyParams,
  parseEndpointUrl,
  tlsSetting,
} from './network-endpoint.js';
import { type DriverFactory, EndpointError } from './registry-types.js';

// Go's MySQL driver's `tls` values, as kine and HariKube endpoints carry them; `preferred` may fall back to plain text.
const TLS_MODES = {
  false: false,
  true: { rejectUnauthorized: true },
  'skip-verify': { rejectUnauthorized: false },
} as const;

const FORMS = [
  'mysql://user:password@tcp(host:3306)/database',
  'mysql://user:password@host:3306/database',
  'mysql://user:password@unix(/path/to/mysqld.sock)/database',
];
const HINT = `write one of ${FORMS.join(', ')} (optionally ?tls=true|skip-verify|false)`;

// Go DSN: [user[:password]@]net(address)/database[?params]. The password runs to the `@` before the
// network, so it may hold `:`, `@` and `/`; like Go's driver, nothing in it is percent-decoded.
const DSN = /^mysql:\/\/(?:([^:@]*)(?::(.*))?@)?(tcp|unix)\(([^)]*)\)\/([^?]*)(?:\?(.*))?$/s;

/**
 * Parses a MySQL endpoint in any of the forms kine and HariKube accept: the
 * Go DSN with `tcp(host:port)` or `unix(/socket)`, or a plain URL
 * (percent-encoded). The password is kept out of every message.
 */
export function parseMysqlEndpoint(endpoint: string, connection: ConnectionSettings = {}): MysqlEndpoint {
  const dsn = DSN.exec(endpoint);
  return dsn ? fromDsn(dsn, connection) : fromUrl(endpoint, connection);
}

function fromDsn(m: RegExpExecArray, connection: ConnectionSettings): MysqlEndpoint {
  const [, user = '', password, net, address = '', database = '', query] = m;
  const params = new URLSearchParams(query ?? '');
  const auth = user || password !== undefined ? `${user}${password ? `:${REDACTED}` : ''}@` : '';
  const display = `mysql://${auth}${net}(${address})/${database}${query ? `?${query}` : ''}`;
  const config: ConnectionOptions = { user, password: password ?? '', database };
  if (net === 'unix') {
    if (!address.startsWith('/')) throw new EndpointError(`${display}: the socket path must be absolute`, HINT);
    config.socketPath = address;
  } else {
    const hostPort = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(address);
    if (!hostPort) throw new EndpointError(`${display}: "${address}" is not host:port`, HINT);
    config.host = hostPort[1] ?? hostPort[2];
    config.port = port(display, hostPort[3]);
  }
  onePassword(display, !!password, connection);
  return finish(display, config, { params, connection });
}

function fromUrl(endpoint: string, connection: ConnectionSettings): MysqlEndpoint {
  const { url, display } = parseEndpointUrl(endpoint, HINT);
  if (url.protocol !== 'mysql:') throw new EndpointError(`${display} is not a mysql:// endpoint`, HINT);
  const config: ConnectionOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: port(display, url.port || undefined),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
  if (!config.host) throw new EndpointError(`${display} names no host`, HINT);
  onePassword(display, url.password !== '', connection);
  return finish(display, config, { params: url.searchParams, connection });
}

function finish(
  display: string,
  config: ConnectionOptions,
  query: { params: URLSearchParams; connection: ConnectionSettings },
): MysqlEndpoint {
  const { params, connection } = query;
  if (!config.database) throw new EndpointError(`${display} names no database`, HINT);
  if (config.database.includes('/'))
    throw new EndpointError(`${display}: "${config.database}" is not a database name`, HINT);
  const tls = tlsSetting(display, { name: 'tls', value: params.get('tls') }, TLS_MODES, {
    fallback: 'false',
    tls: connection.tls,
  });
  onlyParams(display, params, ['tls']);
  config.connectTimeout = connection.pool?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (connection.tls?.serverName !== undefined) {
    throw new EndpointError(
      `${display}: backendTLS.serverName is not supported for MySQL (its client checks the endpoint's host)`,
      'name the server in the endpoint by the host name its certificate carries, and drop serverName',
    );
  }
  // mysql2 checks the certificate's host name only when asked to, and cannot for an IP address (it would check
  // "localhost" instead): then the chain alone is verified.
  if (tls)
    config.ssl = tls.rejectUnauthorized && isIP(config.host ?? '') === 0 ? { ...tls, verifyIdentity: true } : tls;
  return { config, display };
}

function port(display: string, text: string | undefined): number {
  if (text === undefined) return 3306;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new EndpointError(`${display}: port ${text} is out of range`, HINT);
  return n;
}

/** `mysql://`: one backend per MySQL or MariaDB database. */
export const mysqlFactory: DriverFactory = networkFactory({
  scheme: 'mysql',
  forms: FORMS,
  parse: parseMysqlEndpoint,
  driver: (endpoint) => new MysqlDriver(endpoint),
  // The Go DSN form, whichever form the endpoint was written in.
  identify: (c) =>
    `mysql://${encodeURIComponent(c.user ?? '')}@${c.socketPath ? `unix(${c.socketPath})` : `tcp(${hostPort(c.host, c.port)})`}/${c.database ?? ''}`,
});
