import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { StoreError } from '../errors.js';
import { parseTopology } from '../routing/topology.js';
import { DEFAULT_READ_POOL, readPassword } from './connection-settings.js';
import { parseMysqlEndpoint } from './mysql-endpoint.js';
import { withSecrets } from './network-endpoint.js';
import { parsePostgresEndpoint } from './postgres-endpoint.js';

const where = { file: '/etc/cnpaas/topology.yaml', dataDir: '/var/lib/cnpaas' };
const SECRET = 'hunter2-secret';

function backend(endpoint: string, extra: string): string {
  return `backends:\n  - name: tenants\n    endpoint: "${endpoint}"\n    prefix: { prefix: /t/ }\n${extra
    .split('\n')
    .filter(Boolean)
    .map((l) => `    ${l}\n`)
    .join('')}`;
}

const refused = (text: string): StoreError => thrownBy(StoreError, () => parseTopology(text, where));
const openRefused = (fn: () => unknown): StoreError => thrownBy(StoreError, fn);

/** One test per case: the backend's topology with `extra` is refused with a message that contains `message`. */
function refusesEach(cases: [what: string, endpoint: string, extra: string, message: string][]): void {
  it.each(cases)('refuses %s', (_what, endpoint, extra, message) => {
    expect(refused(backend(endpoint, extra)).message).toContain(message);
  });
}

describe('a backend password from a file or a variable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-credentials-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps where the password is, a relative file resolved against the topology file, and never the password', () => {
    const t = parseTopology(backend('postgres://store@db:5432/tenants', 'passwordFile: secrets/tenants'), where);
    expect(t.backends[0]!.connection).toEqual({ password: { file: '/etc/cnpaas/secrets/tenants' } });
    expect(t.backends[0]!.display).toBe('postgres://store@db:5432/tenants');
    const e = parseTopology(backend('mysql://store@tcp(db:3306)/users', 'passwordEnv: USERS_DB_PASSWORD'), where);
    expect(e.backends[0]!.connection).toEqual({ password: { env: 'USERS_DB_PASSWORD' } });
  });

  it('refuses a password in two places, naming the backend and the fix, without showing the password', () => {
    const both = refused(backend(`postgres://store:${SECRET}@db/tenants`, 'passwordFile: /run/pw'));
    expect(both.code).toBe('CNPAAS_STORE_BAD_TOPOLOGY');
    expect(both.message).toContain(
      'backends[0].endpoint postgres://store:***@db/tenants carries a password and passwordFile is set too',
    );
    expect(both.hint).toContain('remove the password from the endpoint');
    expect(`${both.message}${both.hint}`).not.toContain(SECRET);
    // A password set by a flag (--main-password-file) is named by that flag.
    const flag = { password: { file: '/run/pw', setBy: '--main-password-file' } };
    expect(() => parsePostgresEndpoint(`postgres://store:${SECRET}@db/tenants`, flag)).toThrow(
      'carries a password and --main-password-file is set too',
    );
    expect(openRefused(() => readPassword({ env: 'CNPAAS_UNSET_PW', setBy: '--main-password-env' }, 'b')).message).toBe(
      'b: --main-password-env CNPAAS_UNSET_PW is not set',
    );
    const dsn = refused(backend(`mysql://store:${SECRET}@tcp(db)/users`, 'passwordEnv: PW'));
    expect(dsn.message).toContain('passwordEnv is set too');
    expect(`${dsn.message}${dsn.hint}`).not.toContain(SECRET);
    const two = refused(backend('postgres://store@db/tenants', 'passwordFile: /run/pw\npasswordEnv: PW'));
    expect(two.message).toContain('backends[0] (tenants).passwordFile and passwordEnv are both set');
  });

  refusesEach([
    [
      'a variable name that is not one',
      'postgres://store@db/t',
      'passwordEnv: "$PW"',
      'is not an environment variable name',
    ],
    ['an empty value', 'postgres://store@db/t', 'passwordFile: ""', 'passwordFile must be a non-empty string'],
    [
      'a password for a SQLite file',
      'sqlite://t.db',
      'passwordFile: /run/pw',
      'is a SQLite file, which has no password',
    ],
  ]);

  it('reads the password when the backend opens: one trailing newline dropped; missing, unset and empty refused', () => {
    const file = join(dir, 'pw');
    writeFileSync(file, `${SECRET}\n`);
    expect(readPassword({ file }, 'backend tenants')).toBe(SECRET);
    expect(withSecrets({ user: 'u', ssl: false }, { password: { file } }, 'b')).toEqual({
      user: 'u',
      ssl: false,
      password: SECRET,
    });
    const missing = openRefused(() => readPassword({ file: join(dir, 'nope') }, 'backend tenants (postgres://db/t)'));
    expect(missing.code).toBe('CNPAAS_STORE_BACKEND_CREDENTIALS');
    expect(missing.message).toBe(
      `backend tenants (postgres://db/t): passwordFile ${join(dir, 'nope')} cannot be read: ENOENT`,
    );
    writeFileSync(join(dir, 'empty'), '\n');
    expect(openRefused(() => readPassword({ file: join(dir, 'empty') }, 'b')).message).toContain('is empty');
    const name = 'CNPAAS_TEST_UNSET_PASSWORD_VAR';
    delete process.env[name];
    const unset = openRefused(() => readPassword({ env: name }, 'backend tenants'));
    expect(unset.message).toBe(`backend tenants: passwordEnv ${name} is not set`);
    expect(unset.hint).toBe(`set ${name} to the password in the store's environment`);
    process.env[name] = '';
    try {
      expect(openRefused(() => readPassword({ env: name }, 'b')).message).toContain('is empty');
      process.env[name] = SECRET;
      expect(readPassword({ env: name }, 'b')).toBe(SECRET);
    } finally {
      delete process.env[name];
    }
  });
});

describe('backendTLS', () => {
  it('turns TLS on, verifying unless skipVerify, with relative files against the topology file', () => {
    const t = parseTopology(
      backend('postgres://store@db/t', 'backendTLS: { caFile: tls/ca.crt, certFile: /c.crt, keyFile: /c.key }'),
      where,
    );
    expect(t.backends[0]!.connection.tls).toEqual({
      caFile: '/etc/cnpaas/tls/ca.crt',
      certFile: '/c.crt',
      keyFile: '/c.key',
      skipVerify: false,
    });
    expect(parsePostgresEndpoint('postgres://store@db/t', t.backends[0]!.connection).config.ssl).toEqual({
      rejectUnauthorized: true,
    });
    const skip = parseTopology(backend('mysql://s@tcp(db)/u', 'backendTLS: { skipVerify: true }'), where);
    expect(parseMysqlEndpoint('mysql://s@tcp(db)/u', skip.backends[0]!.connection).config.ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('refuses an endpoint mode that contradicts it, naming the fix', () => {
    const off = refused(backend('postgres://store@db/t?sslmode=disable', 'backendTLS: { caFile: /ca.crt }'));
    expect(off.message).toContain('sslmode=disable contradicts backendTLS (verify the server)');
    expect(off.hint).toContain('drop sslmode from the endpoint or write sslmode=verify-full');
    expect(refused(backend('mysql://s@tcp(db)/u?tls=true', 'backendTLS: { skipVerify: true }')).hint).toContain(
      'tls=skip-verify',
    );
  });

  refusesEach([
    [
      'a file without its pair',
      'postgres://s@db/t',
      'backendTLS: { certFile: /c.crt }',
      'backends[0] (tenants).backendTLS.certFile is set without its pair',
    ],
    [
      'files skipVerify would ignore',
      'postgres://s@db/t',
      'backendTLS: { skipVerify: true, caFile: /ca }',
      'caFile and serverName would be ignored',
    ],
    [
      'an unknown field',
      'postgres://s@db/t',
      'backendTLS: { insecure: true }',
      'backendTLS.insecure is not a known field',
    ],
    [
      'serverName for MySQL',
      'mysql://s@tcp(db)/u',
      'backendTLS: { serverName: db.example }',
      'serverName is not supported for MySQL',
    ],
    ['TLS for a SQLite file', 'sqlite://t.db', 'backendTLS: { skipVerify: true }', 'has no TLS'],
  ]);

  it('reads the files when the backend opens, naming a missing one', () => {
    const config = parsePostgresEndpoint('postgres://s@db/t', {
      tls: { caFile: '/nonexistent/ca.crt', skipVerify: false },
    });
    const err = openRefused(() =>
      withSecrets(config.config, { tls: { caFile: '/nonexistent/ca.crt', skipVerify: false } }, 'backend tenants'),
    );
    expect(err.code).toBe('CNPAAS_STORE_BACKEND_TLS');
    expect(err.message).toBe('backend tenants: backendTLS.caFile /nonexistent/ca.crt cannot be read: ENOENT');
  });
});

describe('connectionPool', () => {
  it('honours connectTimeout (default 10 s) and maxOpen (readers beside the writer and the reader), and warns, naming each field, about what it ignores', () => {
    const t = parseTopology(
      backend('postgres://s@db/t', 'connectionPool: { maxOpen: 10, maxIdle: 2, maxLifeTime: 1h, connectTimeout: 3s }'),
      where,
    );
    expect(t.backends[0]!.connection.pool).toEqual({ connectTimeoutMs: 3000, readPool: 8 });
    expect(parsePostgresEndpoint('postgres://s@db/t', t.backends[0]!.connection).config.connectionTimeoutMillis).toBe(
      3000,
    );
    expect(t.warnings).toEqual([
      '/etc/cnpaas/topology.yaml: backends[0] (tenants).connectionPool.maxIdle is ignored: the backend keeps its connections open',
      '/etc/cnpaas/topology.yaml: backends[0] (tenants).connectionPool.maxLifeTime is ignored: the backend keeps its connections for its lifetime',
    ]);
    const m = parseTopology(backend('mysql://s@tcp(db)/u', 'connectionPool: { maxOpen: 0 }'), where);
    expect(m.backends[0]!.connection.pool?.readPool).toBe(DEFAULT_READ_POOL);
    const two = parseTopology(backend('mysql://s@tcp(db)/u', 'connectionPool: { maxOpen: 2 }'), where);
    expect(two.backends[0]!.connection.pool?.readPool).toBe(0);
    expect(parseMysqlEndpoint('mysql://s@tcp(db)/u', m.backends[0]!.connection).config.connectTimeout).toBe(10_000);
    const lite = parseTopology(backend('sqlite://t.db', 'connectionPool: { maxOpen: 4 }'), where);
    expect(lite.warnings.join('\n')).toContain('a SQLite file has no connections to pool');
  });

  refusesEach([
    ['a maxOpen of 1', 'postgres://s@db/t', 'connectionPool: { maxOpen: 1 }', 'a backend needs two connections'],
    [
      'a connect timeout out of range',
      'postgres://s@db/t',
      'connectionPool: { connectTimeout: 1m }',
      'is not a duration from 1ms to 25s',
    ],
    [
      'an unknown field',
      'postgres://s@db/t',
      'connectionPool: { size: 3 }',
      'connectionPool.size is not a known field',
    ],
  ]);
});
