import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRange } from '../../src/keys.js';
import type { KeyValue } from '../../src/types.js';
import type { Row } from '../../src/drivers/network-sql-driver.js';
import { type Compiled, bind } from '../../src/drivers/sql/dialect.js';
import { BackendStatements, boundOf, upsertValues } from '../../src/drivers/sql/statements.js';
import { SqliteDriver } from '../../src/drivers/sqlite-driver.js';
import { SQL_SERVERS, type SqlClient, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * The backend statements in each network database's dialect, run on a real
 * server next to the SQLite driver: the same writes must read back the same,
 * row for row. This is the ground the PostgreSQL and MySQL drivers stand on.
 */
const BIG_LEASE = (1n << 62n) + 1n;

const toKv = (r: Row): KeyValue => ({
  key: r.key,
  createRevision: Number(r.create_revision),
  modRevision: Number(r.mod_revision),
  version: Number(r.version),
  lease: r.lease === null ? 0n : BigInt(r.lease),
  value: r.value,
});

const b = (s: string) => Buffer.from(s);
const kv = (key: string, value: string, rev: number, create: number, version: number, lease = 0n): KeyValue => ({
  key: b(key),
  value: b(value),
  modRevision: rev,
  createRevision: create,
  version,
  lease,
});

function params(range: KeyRange, revision: number | null, extra: Record<string, unknown> = {}) {
  return {
    start: range.start,
    ...(range.end && range.end.length > 0 ? { end: range.end } : {}),
    ...(revision === null ? {} : { rev: revision }),
    ...extra,
  };
}

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the ${kind.name} dialect tests: ${missing}`);
  const dialect = kind.dialect;
  const SQL = new BackendStatements(dialect);

  describe.skipIf(missing !== undefined)(`the ${dialect.name} dialect on ${kind.name}`, () => {
    let server: SqlServerHandle;
    let client: SqlClient;
    let dir: string;
    let sqlite: SqliteDriver;

    const q = (statement: Compiled, values: Record<string, unknown> = {}) =>
      client.query(statement.text, bind(statement, dialect, values) as unknown[]);

    // The same row operations the SQLite driver performs, spelled in this dialect.
    async function put(kv: KeyValue, sub: number, prev: boolean): Promise<void> {
      if (prev) await q(SQL.archive, { superseded: kv.modRevision, key: kv.key });
      await q(SQL.upsert, upsertValues(kv, sub));
    }

    async function remove(key: Buffer, rev: number, sub: number): Promise<void> {
      await q(SQL.archive, { superseded: rev, key });
      await q(SQL.tombstone, { key, rev, sub });
      await q(SQL.deleteKv, { key });
    }

    async function range(r: KeyRange, revision: number | null, limit = -1, keysOnly = false): Promise<KeyValue[]> {
      const stmt = SQL.range(boundOf(r), revision !== null, keysOnly);
      const result = await q(stmt, params(r, revision, { limit: limit < 0 ? dialect.unlimited : limit }));
      return (result.rows as unknown as Row[]).map(toKv);
    }

    async function count(r: KeyRange, revision: number | null): Promise<number> {
      const result = await q(SQL.count(boundOf(r), revision !== null), params(r, revision));
      return Number(Object.values(result.rows[0]!)[0]);
    }

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('backend');
      client = await server.connect('backend');
      dir = mkdtempSync(join(tmpdir(), 'cnpaas-sql-vs-sqlite-'));
      sqlite = new SqliteDriver({ path: join(dir, 'b.db'), fsync: false });

      for (const m of dialect.migrations) for (const s of kind.statements(m)) await client.query(s);
      // The same history in both: two creates in one revision, an update with a
      // lease, a delete, a create with a lease ID above 2^53, another update.
      const steps: Array<['put', KeyValue, number, boolean] | ['delete', Buffer, number, number]> = [
        ['put', kv('a', '1', 2, 2, 1), 0, false],
        ['put', kv('b', '1', 2, 2, 1), 1, false],
        ['put', kv('a', '2', 3, 2, 2, 7n), 0, true],
        ['delete', b('b'), 4, 0],
        ['put', kv('c', '1', 5, 5, 1, BIG_LEASE), 0, false],
        ['put', kv('a', '3', 6, 2, 3), 0, true],
      ];
      await client.query('BEGIN');
      sqlite.begin();
      for (const s of steps) {
        if (s[0] === 'put') {
          await put(s[1], s[2], s[3]);
          sqlite.put(s[1], s[2], s[3] ? sqlite.get(s[1].key) : undefined);
        } else {
          await remove(s[1], s[2], s[3]);
          sqlite.delete(s[1], s[2], s[3]);
        }
      }
      // Twice: the second must update the row the first inserted.
      await q(SQL.setMeta, { name: 'last_revision', value: '5' });
      await q(SQL.setMeta, { name: 'last_revision', value: '6' });
      await client.query('COMMIT');
      await sqlite.commit(6);
    }, 60_000);

    afterAll(async () => {
      await client?.end();
      await server?.stop();
      sqlite?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const all: KeyRange = { start: b('a'), end: b('d') };
    const from: KeyRange = { start: b('b'), end: Buffer.alloc(0) };
    const one: KeyRange = { start: b('a'), end: null };

    it('reads current keys and keys at past revisions as SQLite does', async () => {
      for (const r of [all, from, one]) {
        for (const rev of [null, 2, 3, 4, 5]) {
          expect(await range(r, rev)).toEqual(sqlite.range(r, rev, -1));
          expect(await count(r, rev)).toBe(sqlite.count(r, rev));
        }
      }
      expect((await range(all, null)).map((x) => x.value.toString())).toEqual(['3', '1']);
      expect(await range(all, 3, 1)).toEqual(sqlite.range(all, 3, 1));
      expect(await range(all, 3, -1, true)).toEqual(sqlite.range(all, 3, -1, true));
    });

    it('orders keys byte by byte, as etcd does, whatever the bytes', async () => {
      // 0xff sorts after every ASCII byte, and 'B' before 'a': no collation may fold or reorder them.
      const z = (...bytes: number[]) => Buffer.from([0x7a, ...bytes]);
      const keys = [z(0x61, 0xff), z(0x42), z(0x61), z(0x61, 0x00)];
      await client.query('BEGIN');
      for (const [i, key] of keys.entries()) await put({ ...kv('', 'v', 10 + i, 10 + i, 1), key }, 0, false);
      const got = await range({ start: z(), end: Buffer.from([0x7b]) }, null);
      await client.query('ROLLBACK');
      expect(got.map((x) => x.key)).toEqual([...keys].sort((x, y) => Buffer.compare(x, y)));
      expect(got.map((x) => x.key.toString('hex'))).toEqual(['7a42', '7a61', '7a6100', '7a61ff']);
    });

    it('replays changes, previous versions and lease keys as SQLite does', async () => {
      const changes = (await q(SQL.changes(boundOf(all)), params(all, null, { from: 2, to: 6 })))
        .rows as unknown as Row[];
      expect(changes.map((r) => ({ kv: toKv(r), sub: Number(r.sub), deleted: Number(r.deleted) === 1 }))).toEqual(
        sqlite.changes(all, 2, 6),
      );
      const prev = (await q(SQL.prevOf, { key: b('a'), rev: 6 })).rows as unknown as Row[];
      expect(prev.map(toKv)).toEqual([sqlite.prevOf(b('a'), 6)]);
      // Many at once, as a catch-up reads a window's: each change's previous version found by key and revision.
      const replaced = sqlite.changes(all, 2, 6).filter((c) => c.deleted || c.kv.createRevision !== c.kv.modRevision);
      const keys = [...new Set(replaced.map((c) => c.kv.key.toString()))].map(b);
      expect(keys.length).toBeGreaterThan(1);
      const many = (
        await q(SQL.prevsOf(keys.length), { ...Object.fromEntries(keys.map((k, i) => [`k${i}`, k])), from: 2, to: 6 })
      ).rows as unknown as Array<Row & { superseded: unknown }>;
      const byChange = new Map(many.map((r) => [`${toKv(r).key.toString()}@${Number(r.superseded)}`, toKv(r)]));
      for (const c of replaced) {
        expect(
          byChange.get(`${c.kv.key.toString()}@${c.kv.modRevision}`),
          `${c.kv.key.toString()}@${c.kv.modRevision}`,
        ).toEqual(sqlite.prevOf(c.kv.key, c.kv.modRevision));
      }
      expect(sqlite.prevsOf(replaced.map((c) => ({ key: c.kv.key, revision: c.kv.modRevision })))).toEqual(
        replaced.map((c) => sqlite.prevOf(c.kv.key, c.kv.modRevision)),
      );
      const leased = (await q(SQL.keysByLease, { lease: BIG_LEASE })).rows as Array<{ key: Buffer }>;
      expect(leased.map((r) => r.key)).toEqual(sqlite.keysWithLease(BIG_LEASE));
      expect(leased.map((r) => r.key.toString())).toEqual(['c']);
      expect((await q(SQL.getMeta, { name: 'last_revision' })).rows).toEqual([{ value: '6' }]);
    });

    it('compacts in limited steps and keeps what reads at the compact revision need', async () => {
      const removed: number[] = [];
      for (;;) {
        const n = (await q(SQL.compact, { rev: 5, batch: 1 })).rowCount;
        if (n === 0) break;
        removed.push(n);
      }
      let sqliteRemoved = 0;
      for (let n = sqlite.compact(5, 1); n > 0; n = sqlite.compact(5, 1)) sqliteRemoved += n;
      expect(removed.every((n) => n === 1)).toBe(true);
      expect(removed.length).toBe(sqliteRemoved);
      expect(removed.length).toBeGreaterThan(0);
      expect(await range(all, 5)).toEqual(sqlite.range(all, 5, -1));
      expect(await count(all, 5)).toBe(2);
    });

    it('keeps the password out of a failed login', async () => {
      const wrong = 'not-the-password-4711';
      const err = await server.connect('backend', wrong).then(
        (c) => c.end().then(() => undefined),
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain(kind.loginRefused);
      expect(err?.message).not.toContain(wrong);
      expect(err?.message).not.toContain(server.password);
    });
  });
}
