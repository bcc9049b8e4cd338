import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnector } from '../../src/drivers/postgres-connector.js';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import { ReconnectingConnection, type ScriptStatement } from '../../src/drivers/reconnecting-connection.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';

/**
 * postgres-prepared.ts: a script's recurring statements run as EXECUTEs of
 * statements prepared on the connection. On a real PostgreSQL: the answers
 * are the same bytes whether a statement was written out or prepared, the
 * server holds the prepared statements (and so skips their planning), a
 * failed transaction still leaves nothing, a statement the server cannot
 * prepare keeps working, and a new connection after a lost one prepares
 * afresh instead of naming statements its session never had.
 */
const missing = postgresMissing();
if (missing) console.warn(`skipping the PostgreSQL prepared-statement tests: ${missing}`);

const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe.skipIf(missing !== undefined)('prepared statements in scripts on PostgreSQL', () => {
  let server: PostgresHandle;
  let admin: pg.Client;
  let conn: ReconnectingConnection<pg.Client>;
  const plain = (text: string): ScriptStatement => ({ text, params: [] });
  const upsert = (id: number, b: Buffer): ScriptStatement => ({
    text: 'INSERT INTO t (id, b) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET b = excluded.b',
    params: [id, b],
  });
  const read = (from: number): ScriptStatement => ({
    text: 'SELECT id, b FROM t WHERE id >= $1 ORDER BY id',
    params: [from],
  });
  const transaction = (...statements: ScriptStatement[]) => [plain('BEGIN'), ...statements, plain('COMMIT')];
  /** The statements the store's session holds prepared, read from that session. */
  const preparedInSession = async () =>
    (await conn.query('SELECT statement FROM pg_prepared_statements ORDER BY name', [])).rows.map(
      (r) => (r as { statement: string }).statement,
    );

  beforeAll(async () => {
    server = await startPostgres();
    await server.createDatabase('prepared');
    admin = new pg.Client({ connectionString: server.url('prepared') });
    await admin.connect();
    await admin.query('CREATE TABLE t (id INTEGER PRIMARY KEY, b BYTEA NOT NULL)');
    conn = new ReconnectingConnection(postgresConnector(parsePostgresEndpoint(server.url('prepared')).config));
  }, 120_000);

  afterAll(async () => {
    await conn?.close();
    await admin?.end();
    await server?.stop();
  });

  it('answers the same rows and counts written out and prepared, and the server holds the statements', async () => {
    const answers = [];
    for (let round = 0; round < 4; round++) {
      const results = await conn.script(transaction(upsert(1, EVERY_BYTE), upsert(2, Buffer.from([round])), read(1)));
      answers.push(results.map((r) => ({ rowCount: r.rowCount, rows: r.rows })));
    }
    // Every round upserts the same rows but the last byte of row 2.
    for (const [round, answer] of answers.entries()) {
      expect(answer[1]).toEqual({ rowCount: 1, rows: [] });
      expect(answer[2]).toEqual({ rowCount: 1, rows: [] });
      expect(answer[3]!.rows).toEqual([
        { id: 1, b: EVERY_BYTE },
        { id: 2, b: Buffer.from([round]) },
      ]);
    }
    expect(await preparedInSession()).toEqual([
      expect.stringContaining('INSERT INTO t (id, b) VALUES ($1, $2)'),
      expect.stringContaining('SELECT id, b FROM t WHERE id >= $1'),
    ]);
  });

  it('leaves nothing of a transaction whose prepared statement fails', async () => {
    const before = (await admin.query('SELECT count(*)::int AS n FROM t')).rows[0].n as number;
    // The same INSERT without ON CONFLICT, prepared on its second run: its third run fails on a duplicate key.
    const insert = (id: number): ScriptStatement => ({
      text: 'INSERT INTO t (id, b) VALUES ($1, $2)',
      params: [id, EVERY_BYTE],
    });
    await conn.script(transaction(insert(10)));
    await conn.script(transaction(insert(11)));
    expect(await preparedInSession()).toContainEqual(expect.stringContaining('INSERT INTO t (id, b) VALUES ($1, $2)'));
    const failing = transaction(insert(12), insert(10));
    await expect(conn.script(failing)).rejects.toThrow(/duplicate key/);
    await conn.query('ROLLBACK', []);
    expect((await admin.query('SELECT id FROM t WHERE id >= 10 ORDER BY id')).rows).toEqual([{ id: 10 }, { id: 11 }]);
    expect((await admin.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(before + 2);
  });

  it('keeps running a statement the server cannot prepare, written out', async () => {
    // A parameter whose type nothing decides: PREPARE refuses it (indeterminate_datatype); a quoted literal is fine.
    const untyped = (v: number): ScriptStatement => ({
      text: 'SELECT $1 IS NULL AS n, $1 IS NOT NULL AS s',
      params: [v],
    });
    for (let round = 0; round < 3; round++) {
      const results = await conn.script(transaction(untyped(round), read(1)));
      expect(results[1]!.rows).toEqual([{ n: false, s: true }]);
      expect(results[2]!.rows[0]).toEqual({ id: 1, b: EVERY_BYTE });
    }
    const prepared = await preparedInSession();
    expect(prepared).not.toContainEqual(expect.stringContaining('$1 IS NULL'));
    expect(prepared).toContainEqual(expect.stringContaining('SELECT id, b FROM t WHERE id >= $1'));
  });

  it('prepares afresh on the connection opened after the server ended the last one', async () => {
    const pid = (await conn.query('SELECT pg_backend_pid() AS pid', [])).rows[0] as { pid: number };
    await admin.query('SELECT pg_terminate_backend($1)', [pid.pid]);
    // The first request meets the lost connection; the next opens another, whose session has nothing prepared.
    await conn.query('SELECT 1', []).catch(() => undefined);
    const results = await conn.script(transaction(upsert(1, EVERY_BYTE), read(1)));
    expect(results[2]!.rows[0]).toEqual({ id: 1, b: EVERY_BYTE });
    expect(((await conn.query('SELECT pg_backend_pid() AS pid', [])).rows[0] as { pid: number }).pid).not.toBe(pid.pid);
    expect(await preparedInSession()).toEqual([]);
    await conn.script(transaction(upsert(1, EVERY_BYTE), read(1)));
    await conn.script(transaction(upsert(1, EVERY_BYTE), read(1)));
    expect(await preparedInSession()).toHaveLength(2);
  });
});
