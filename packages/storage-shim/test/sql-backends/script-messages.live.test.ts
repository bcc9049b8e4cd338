import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMysqlEndpoint } from '../../src/drivers/mysql-endpoint.js';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import { SqlBridge, type ScriptStatement } from '../../src/drivers/sql-bridge.js';
import { SQL_SERVERS, type SqlClient, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * A script (a batch's BEGIN, lock and reads, or its rows and COMMIT) goes to
 * the server as one message, its parameters written into the text by the
 * client's escaping (postgres-literals.ts, mysql2's format). Run through the
 * real worker on a real server: every value must read back byte for byte,
 * and a statement that fails must leave nothing of its script behind and
 * the connection ready for the next one.
 */
const WORKERS = {
  postgres: { url: new URL('../../dist/drivers/postgres-worker.js', import.meta.url), parse: parsePostgresEndpoint },
  mysql: { url: new URL('../../dist/drivers/mysql-worker.js', import.meta.url), parse: parseMysqlEndpoint },
} as const;

const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ROWS: Array<{ id: number; b: Buffer; s: string; n: bigint }> = [
  { id: 1, b: EVERY_BYTE, s: "it's a quote", n: (1n << 63n) - 1n },
  { id: 2, b: Buffer.alloc(0), s: "back\\slash \\x00 and E'\\\\'", n: 0n },
  { id: 3, b: Buffer.from("'); DROP TABLE t; --"), s: '$1 $2 ? ?? ; -- /* */', n: -1n },
  { id: 4, b: Buffer.from('\\x41'), s: 'ünïcødé 🙂\nline\ttab', n: 1n << 62n },
  { id: 5, b: Buffer.from([0x27, 0x5c, 0x00, 0x3f, 0x24]), s: '', n: 42n },
];

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the ${kind.name} script tests: ${missing}`);

  describe.skipIf(missing !== undefined)(`scripts as one message on ${kind.name}`, () => {
    const numbered = kind.dialect.placeholders === 'numbered';
    const p = (i: number) => (numbered ? `$${i}` : '?');
    const insert = (row: (typeof ROWS)[number]): ScriptStatement => ({
      text: `INSERT INTO t (id, b, s, n) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`,
      params: [row.id, row.b, row.s, row.n],
    });
    const plain = (text: string): ScriptStatement => ({ text, params: [] });
    let server: SqlServerHandle;
    let client: SqlClient;
    let bridge: SqlBridge;

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('scripts');
      client = await server.connect('scripts');
      await client.query(
        numbered
          ? 'CREATE TABLE t (id INTEGER PRIMARY KEY, b BYTEA NOT NULL, s TEXT NOT NULL, n BIGINT NOT NULL)'
          : 'CREATE TABLE t (id INTEGER PRIMARY KEY, b LONGBLOB NOT NULL, s TEXT CHARACTER SET utf8mb4 NOT NULL, n BIGINT NOT NULL) ENGINE=InnoDB',
      );
      const worker = WORKERS[kind.dialect.name as keyof typeof WORKERS];
      bridge = new SqlBridge(worker.url, { config: worker.parse(server.url('scripts')).config, server: kind.name });
    }, 120_000);

    afterAll(async () => {
      await bridge?.close();
      await client?.end();
      await server?.stop();
    });

    const stored = async () =>
      (await client.query('SELECT id, b, s, n FROM t ORDER BY id')).rows.map((r) => ({
        id: Number(r.id),
        b: Buffer.from(r.b as Uint8Array),
        s: String(r.s),
        n: BigInt(r.n as string),
      }));

    it('writes every value of a transaction sent as one script exactly as a parameter would', async () => {
      const r = await bridge.scriptAsync('writer', [plain('BEGIN'), ...ROWS.map(insert), plain('COMMIT')], true);
      expect(r.results).toHaveLength(ROWS.length + 2);
      expect(await stored()).toEqual(ROWS);
    });

    it("answers each statement's rows in order", async () => {
      const r = await bridge.scriptAsync('reader', [
        { text: `SELECT s FROM t WHERE id = ${p(1)}`, params: [3] },
        { text: `SELECT b FROM t WHERE b = ${p(1)}`, params: [EVERY_BYTE] },
        plain('SELECT count(*) AS n FROM t'),
      ]);
      expect(r.results!.map((x) => x.rows.length)).toEqual([1, 1, 1]);
      expect(r.results![0]!.rows[0]!.s).toBe(ROWS[2]!.s);
      expect(Buffer.compare(r.results![1]!.rows[0]!.b as Buffer, EVERY_BYTE)).toBe(0);
      expect(Number(r.rows[0]!.n)).toBe(ROWS.length);
    });

    it('leaves nothing of a script whose statement fails, and the connection takes the next one', async () => {
      const duplicate = { ...ROWS[0]!, b: Buffer.from('dup') };
      const fresh = { id: 100, b: Buffer.from('fresh'), s: 'fresh', n: 100n };
      await expect(
        bridge.scriptAsync('writer', [plain('BEGIN'), insert(fresh), insert(duplicate), plain('COMMIT')], true),
      ).rejects.toThrow(/duplicate|unique/i);
      expect(await stored()).toEqual(ROWS);
      await bridge.scriptAsync('writer', [plain('BEGIN'), insert(fresh), plain('COMMIT')], true);
      expect(await stored()).toEqual([...ROWS, fresh]);
    });
  });
}
