import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { freePort } from '../support/free-port.js';
import { refusedStart, startStore } from '../support/processes.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * A backend's password from a file or an environment variable instead of the
 * endpoint, against real PostgreSQL and MariaDB: the store logs in with it,
 * and neither its log nor its errors show it; a missing file or unset
 * variable stops it at start-up.
 */
const k = (s: string) => Buffer.from(s);

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the ${kind.name} credentials tests: ${missing}`);

  describe.skipIf(missing !== undefined)(`a ${kind.name} password from a file or a variable`, () => {
    let server: SqlServerHandle;
    let dir: string;
    /** The endpoint without its password. */
    let bare: (database: string) => string;

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('tenants');
      dir = mkdtempSync(join(tmpdir(), 'cnpaas-credentials-'));
      bare = (database) => server.url(database).replace(`:${server.password}@`, '@');
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('logs in with the password from passwordFile and from passwordEnv, and shows it nowhere', async () => {
      const file = join(dir, 'password');
      writeFileSync(file, `${server.password}\n`, { mode: 0o600 });
      const variable = 'CNPAAS_TEST_TENANTS_DB_PASSWORD';
      const sources = [`    passwordFile: ${file}\n`, `    passwordEnv: ${variable}\n`];
      process.env[variable] = server.password;
      try {
        for (const [i, source] of sources.entries()) {
          const metricsPort = await freePort();
          const store = await startStore({
            topology: tenantsTopology(bare('tenants'), source),
            logLevel: 'debug',
            extraArgs: [`--listen-metrics-urls=http://127.0.0.1:${metricsPort}`],
          });
          const client = connect(store.target);
          try {
            await call(client.kv, 'Put', { key: k(`/t/${i}`), value: k('1') });
            const got = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
            expect(got.kvs.map((kv: { key: Buffer }) => String(kv.key))).toEqual(['/t/0', '/t/1'].slice(0, i + 1));
            const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
            expect(metrics).toContain('tenants');
            expect(`${store.output()}${metrics}`).not.toContain(server.password);
          } finally {
            client.close();
            await store.stop();
          }
        }
      } finally {
        delete process.env[variable];
      }
      const c = await server.connect('tenants');
      try {
        const key = kind.dialect.key;
        const rows = (await c.query(`SELECT ${key} AS k FROM kv ORDER BY ${key}`)).rows;
        expect(rows.map((r) => String(r.k as Buffer))).toEqual(['/t/0', '/t/1']);
      } finally {
        await c.end();
      }
    });

    it('stops at start-up naming the backend and the file or variable when the password cannot be had', async () => {
      const gone = join(dir, 'no-such-file');
      const r = await refusedStart({ topology: tenantsTopology(bare('tenants'), `    passwordFile: ${gone}\n`) });
      expect(r.status).toBe(2);
      expect(r.output).toContain(
        `CNPAAS_STORE_BACKEND_CREDENTIALS: backend tenants (${bare('tenants')}): passwordFile ${gone} cannot be read: ENOENT`,
      );
      const env = { ...process.env };
      delete env.CNPAAS_TEST_UNSET_DB_PASSWORD;
      const u = await refusedStart({
        topology: tenantsTopology(bare('tenants'), '    passwordEnv: CNPAAS_TEST_UNSET_DB_PASSWORD\n'),
        env,
      });
      expect(u.status).toBe(2);
      expect(u.output).toContain('passwordEnv CNPAAS_TEST_UNSET_DB_PASSWORD is not set');
    });

    it('shows a wrong password from a file as a refused login, without the password', async () => {
      const file = join(dir, 'wrong');
      const wrong = 'wrong-pass-4711';
      writeFileSync(file, wrong, { mode: 0o600 });
      const r = await refusedStart({ topology: tenantsTopology(bare('tenants'), `    passwordFile: ${file}\n`) });
      expect(r.status).toBe(2);
      expect(r.output).toContain('CNPAAS_STORE_BACKEND_CONNECT');
      expect(r.output).toContain(kind.loginRefused);
      expect(r.output).not.toContain(wrong);
    });
  });
}
