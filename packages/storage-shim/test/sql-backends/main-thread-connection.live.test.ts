import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlConnector } from '../../src/drivers/mysql-connector.js';
import { parseMysqlEndpoint } from '../../src/drivers/mysql-endpoint.js';
import { postgresConnector } from '../../src/drivers/postgres-connector.js';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import { SqlBridge, type ScriptStatement } from '../../src/drivers/sql-bridge.js';
import { SQL_SERVERS, type SqlClient, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * sql-bridge.ts runs an asynchronous request that stands alone (a read, or a
 * whole transaction) on a connection of the main thread when nothing else is
 * in flight, and everything else in the worker. On a real server: each kind
 * of request goes where it must, the answers are the same bytes either way,
 * a failed transaction leaves nothing behind on the main thread's connection
 * either, and that connection carries the writer's session settings.
 */
const DRIVERS = {
  postgres: {
    worker: new URL('../../dist/drivers/postgres-worker.js', import.meta.url),
    parse: parsePostgresEndpoint,
    connector: postgresConnector,
    // A setting of the writer's session (the replicas' lock timeout), and how to read it back.
    setting: { set: "SET SESSION lock_timeout = '4321ms'", get: "SELECT current_setting('lock_timeout') AS v" },
    expected: '4321ms',
  },
  mysql: {
    worker: new URL('../../dist/drivers/mysql-worker.js', import.meta.url),
    parse: parseMysqlEndpoint,
    connector: mysqlConnector,
    setting: { set: 'SET SESSION innodb_lock_wait_timeout = 43', get: 'SELECT @@innodb_lock_wait_timeout AS v' },
    expected: '43',
  },
} as const;

const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the ${kind.name} main-thread connection tests: ${missing}`);

  describe.skipIf(missing !== undefined)(`the main thread's connection on ${kind.name}`, () => {
    const numbered = kind.dialect.placeholders === 'numbered';
    const p = (i: number) => (numbered ? `$${i}` : '?');
    const driver = DRIVERS[kind.dialect.name as keyof typeof DRIVERS];
    const plain = (text: string): ScriptStatement => ({ text, params: [] });
    const insert = (id: number, b: Buffer): ScriptStatement => ({
      text: `INSERT INTO t (id, b) VALUES (${p(1)}, ${p(2)})`,
      params: [id, b],
    });
    // Selected as revision rows (revision-rows.ts): the columns a Range's page has.
    const revisionRows = `SELECT b AS ${numbered ? 'key' : '`key`'}, id AS create_revision, id AS mod_revision, 1 AS version, NULL AS lease, b AS value FROM t ORDER BY id`;
    let server: SqlServerHandle;
    let client: SqlClient;
    let bridge: SqlBridge;
    const open = (readPool: number) =>
      new SqlBridge(driver.worker, {
        config: driver.parse(server.url('mainthread')).config,
        server: kind.name,
        readPool,
        connector: driver.connector,
      });

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('mainthread');
      client = await server.connect('mainthread');
      await client.query(
        numbered
          ? 'CREATE TABLE t (id INTEGER PRIMARY KEY, b BYTEA NOT NULL)'
          : 'CREATE TABLE t (id INTEGER PRIMARY KEY, b LONGBLOB NOT NULL) ENGINE=InnoDB',
      );
      bridge = open(2);
    }, 120_000);

    afterAll(async () => {
      await bridge?.close();
      await client?.end();
      await server?.stop();
    });

    it('runs a lone whole transaction and a lone read on the main thread, and their bytes are exact', async () => {
      const before = { ...bridge.routed };
      await bridge.transactionAsync([
        plain('BEGIN'),
        insert(1, EVERY_BYTE),
        insert(2, Buffer.alloc(0)),
        plain('COMMIT'),
      ]);
      const rows = await bridge.revisionsAsync('reader', revisionRows);
      expect(bridge.routed).toEqual({ local: before.local + 2, worker: before.worker });
      expect(rows.map((r) => [r.modRevision, Buffer.compare(r.value, EVERY_BYTE) === 0, r.value.length])).toEqual([
        [1, true, 256],
        [2, false, 0],
      ]);
      expect(Buffer.compare(rows[0]!.key, EVERY_BYTE)).toBe(0);
      expect(rows[0]!.lease).toBe(0n);
    });

    it('sends requests that arrive while one is in flight to the worker, with the same answers', async () => {
      const before = { ...bridge.routed };
      const pages = await Promise.all(Array.from({ length: 4 }, () => bridge.revisionsAsync('reader', revisionRows)));
      expect(bridge.routed.local - before.local).toBe(1);
      expect(bridge.routed.worker - before.worker).toBe(3);
      for (const page of pages) expect(page).toEqual(pages[0]);
    });

    it('always sends a statement of the worker writer’s transaction to the worker', async () => {
      const before = { ...bridge.routed };
      // Not a whole transaction: it opens one on the writer that later statements continue.
      await bridge.scriptAsync('writer', [plain('BEGIN'), insert(3, Buffer.from('open'))], true);
      await bridge.queryAsync('writer', 'ROLLBACK');
      expect(bridge.routed).toEqual({ local: before.local, worker: before.worker + 2 });
      expect(Number((await client.query('SELECT count(*) AS n FROM t')).rows[0]!.n)).toBe(2);
    });

    it('refuses a script that is not a whole transaction as one', async () => {
      await expect(bridge.transactionAsync([plain('BEGIN'), insert(9, Buffer.from('x'))])).rejects.toThrow(
        'a transaction script must begin with BEGIN and end with COMMIT',
      );
    });

    it('leaves nothing of a failed transaction on the main thread, and the connection takes the next one', async () => {
      const before = { ...bridge.routed };
      await expect(
        bridge.transactionAsync([
          plain('BEGIN'),
          insert(10, Buffer.from('a')),
          insert(1, Buffer.from('dup')),
          plain('COMMIT'),
        ]),
      ).rejects.toThrow(/duplicate|unique/i);
      await bridge.transactionAsync([plain('BEGIN'), insert(11, Buffer.from('b')), plain('COMMIT')]);
      expect(bridge.routed.local - before.local).toBe(2);
      const ids = (await client.query('SELECT id FROM t ORDER BY id')).rows.map((r) => Number(r.id));
      expect(ids).toEqual([1, 2, 11]);
    });

    it("gives the main thread's connection the writer's session settings", async () => {
      bridge.session('writer', driver.setting.set);
      const before = { ...bridge.routed };
      const r = await bridge.queryAsync('reader', driver.setting.get);
      expect(bridge.routed.local - before.local).toBe(1);
      expect(String(r.rows[0]!.v)).toBe(driver.expected);
    });

    it('keeps every asynchronous request in the worker when no connection is spare (readPool 0)', async () => {
      const lone = open(0);
      try {
        await lone.queryAsync('reader', 'SELECT 1 AS one');
        await lone.transactionAsync([plain('BEGIN'), insert(12, Buffer.from('c')), plain('COMMIT')]);
        expect(lone.routed).toEqual({ local: 0, worker: 2 });
      } finally {
        await lone.close();
      }
    });
  });
}
