import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { type Issued, OpensslCa } from '../support/openssl-ca.js';
import { MARIADB_USER, type MariadbHandle, mariadbMissing, startMariadb } from '../support/mariadb.js';
import { PG_USER, type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { refusedStart, startStore } from '../support/processes.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * backendTLS against a real PostgreSQL and MariaDB that takes TCP logins only over TLS
 * and only with a client certificate: the store verifies the server's
 * certificate with caFile, logs in with certFile/keyFile, and refuses a
 * server its CA did not sign, or whose certificate lacks serverName, with a
 * clear error.
 */
const k = (s: string) => Buffer.from(s);
const missing = postgresMissing();
const mariadbAbsent = mariadbMissing();
if (mariadbAbsent) console.warn(`skipping the MariaDB TLS tests: ${mariadbAbsent}`);
if (missing) console.warn(`skipping the PostgreSQL TLS tests: ${missing}`);

/** backendTLS that verifies the server with `ca`, and logs in with `client` when given. */
function backendTls(ca: OpensslCa, client?: Issued, serverName?: string): string {
  const fields = [`caFile: ${ca.certFile}`];
  if (client) fields.push(`certFile: ${client.certFile}`, `keyFile: ${client.keyFile}`);
  if (serverName) fields.push(`serverName: ${serverName}`);
  return `{ ${fields.join(', ')} }`;
}

/** Starts a store on `topology`, writes `key` through it and reads it back; what the store printed. */
async function writeThrough(topology: string, key: string): Promise<string> {
  const store = await startStore({ topology });
  const c = connect(store.target);
  try {
    await call(c.kv, 'Put', { key: k(key), value: k('1') });
    const got = await call(c.kv, 'Range', { key: k(key) });
    expect(String(got.kvs[0].value)).toBe('1');
    return store.output();
  } finally {
    c.close();
    await store.stop();
  }
}

describe.skipIf(missing !== undefined)('a PostgreSQL backend over verified TLS', () => {
  let dir: string;
  let server: PostgresHandle;
  let ca: OpensslCa;
  let otherCa: OpensslCa;
  let client: Issued;
  let passwordFile: string;
  let endpoint: string;

  const topology = (tls: string) =>
    tenantsTopology(endpoint, `    passwordFile: ${passwordFile}\n    backendTLS: ${tls}\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-pg-tls-'));
    ca = new OpensslCa(dir, 'ca');
    otherCa = new OpensslCa(dir, 'other-ca');
    const cert = ca.issue(
      'postgres',
      'subjectAltName=IP:127.0.0.1,DNS:tenants-db.example\nextendedKeyUsage=serverAuth\n',
    );
    client = ca.issue(PG_USER, 'extendedKeyUsage=clientAuth\n');
    server = await startPostgres({ tls: { cert: cert.cert, key: cert.key, ca: ca.cert } });
    const admin = new pg.Client({
      host: server.socketDir,
      port: server.port,
      user: PG_USER,
      password: server.password,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query('CREATE DATABASE tenants');
    await admin.end();
    passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, server.password, { mode: 0o600 });
    endpoint = `postgres://${PG_USER}@127.0.0.1:${server.port}/tenants?sslmode=verify-full`;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the server verified by caFile and a client certificate, and stores keys', async () => {
    const output = await writeThrough(topology(backendTls(ca, client)), '/t/a');
    expect(output).not.toContain(server.password);
    // The key is in the database (read over the socket): the server takes TCP logins only over TLS with a certificate.
    const admin = new pg.Client({
      host: server.socketDir,
      port: server.port,
      user: PG_USER,
      password: server.password,
      database: 'tenants',
    });
    await admin.connect();
    try {
      expect((await admin.query("SELECT count(*)::int AS n FROM kv WHERE key = '\\x2f742f61'")).rows[0].n).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('refuses a server whose certificate another CA signed, saying so', async () => {
    const r = await refusedStart({ topology: topology(backendTls(otherCa, client)) });
    expect(r.status).toBe(2);
    expect(r.output).toContain(
      `CNPAAS_STORE_BACKEND_CONNECT: ${endpoint}: cannot connect: the server's TLS certificate is not trusted`,
    );
    expect(r.output).toContain('set backendTLS.caFile to the CA that issued');
  });

  it('checks the certificate against serverName when one is given', async () => {
    const r = await refusedStart({ topology: topology(backendTls(ca, client, 'other-db.example')) });
    expect(r.status).toBe(2);
    expect(r.output).toContain("the server's TLS certificate is not trusted");
    expect(r.output).toContain('other-db.example');
    const store = await startStore({ topology: topology(backendTls(ca, client, 'tenants-db.example')) });
    await store.stop();
  });

  it('is refused by the server without the client certificate', async () => {
    const r = await refusedStart({ topology: topology(backendTls(ca)) });
    expect(r.status).toBe(2);
    expect(r.output).toContain('CNPAAS_STORE_BACKEND_CONNECT');
    expect(r.output).toMatch(/certificate/i);
  });
});

describe.skipIf(mariadbAbsent !== undefined)('a MariaDB backend over verified TLS', () => {
  let dir: string;
  let server: MariadbHandle;
  let ca: OpensslCa;
  let otherCa: OpensslCa;
  let client: Issued;
  let endpoint: string;
  const variable = 'CNPAAS_TEST_USERS_DB_PASSWORD';

  const topology = (tls: string) =>
    `backends:\n  - name: users\n    endpoint: "${endpoint}"\n    prefix: { prefix: "/u/" }\n    passwordEnv: ${variable}\n    backendTLS: ${tls}\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-mariadb-tls-'));
    ca = new OpensslCa(dir, 'ca');
    otherCa = new OpensslCa(dir, 'other-ca');
    const cert = ca.issue('mariadb', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    client = ca.issue(MARIADB_USER, 'extendedKeyUsage=clientAuth\n');
    server = await startMariadb({ tls: { cert: cert.cert, key: cert.key, ca: ca.cert } });
    await server.admin('CREATE DATABASE users');
    process.env[variable] = server.password;
    endpoint = `mysql://${MARIADB_USER}@tcp(127.0.0.1:${server.port})/users?tls=true`;
  }, 60_000);

  afterAll(async () => {
    delete process.env[variable];
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the server verified by caFile and a client certificate, and stores keys', async () => {
    await writeThrough(topology(backendTls(ca, client)), '/u/a');
    const rows = (await server.admin("SELECT count(*) AS n FROM kv WHERE `key` = '/u/a'", 'users')) as Array<{
      n: number;
    }>;
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('refuses a server whose certificate another CA signed, and is refused without a client certificate', async () => {
    const wrong = await refusedStart({ topology: topology(backendTls(otherCa, client)) });
    expect(wrong.status).toBe(2);
    expect(wrong.output).toContain(
      `CNPAAS_STORE_BACKEND_CONNECT: ${endpoint}: cannot connect: the server's TLS certificate is not trusted`,
    );
    const anonymous = await refusedStart({ topology: topology(backendTls(ca)) });
    expect(anonymous.status).toBe(2);
    expect(anonymous.output).toContain('CNPAAS_STORE_BACKEND_CONNECT');
    expect(anonymous.output).toContain('Access denied');
  });
});
