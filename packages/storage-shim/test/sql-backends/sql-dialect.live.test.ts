import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRange } from '../../src/keys.js';
import type { KeyValue } from '../../src/types.js';
import { type Compiled, bind } from '../../src/drivers/sql/dialect.js';
import { postgresDialect } from '../../src/drivers/sql/postgres-dialect.js';
import { BackendStatements, boundOf } from '../../src/drivers/sql/statements.js';
import { SqliteDriver } from '../../src/drivers/sqlite-driver.js';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import type { Row } from '../../src/drivers/postgres-driver.js';

/**
 * The backend statements in PostgreSQL's dialect, run on a real PostgreSQL 15
 * next to the SQLite driver: the same writes must read back the same, row
 * for row. This is the ground the PostgreSQL driver will stand on.
 */
const missing = postgresMissing();
if (missing) console.warn(`skipping the PostgreSQL dialect tests: ${missing}`);

const SQL = new BackendStatements(postgresDialect);
const BIG_LEASE = (1n << 62n) + 1n;

let server: PostgresHandle;
let client: pg.Client;
let dir: string;
let sqlite: SqliteDriver;

const toKv = (r: Row): KeyValue => ({
  key: r.key,
  createRevision: Number(r.create_revision),
  modRevision: Number(r.mod_revision),
  version: Number(r.version),
  lease: r.lease === null ? 0n : BigInt(r.lease),
  value: r.value,
});

async function q(statement: Compiled, values: Record<string, unknown> = {}): Promise<pg.QueryResult> {
  return client.query(statement.text, bind(statement, postgresDialect, values) as unknown[]);
}

// The same row operations the SQLite driver performs, spelled with the PostgreSQL statements.
async function pgPut(kv: KeyValue, sub: number, prev: boolean): Promise<void> {
  if (prev) await q(SQL.archive, { superseded: kv.modRevision, key: kv.key });
  await q(SQL.upsert, {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    sub,
    version: kv.version,
    lease: kv.lease.toString(),
    value: kv.value,
  });
}

async function pgDelete(key: Buffer, rev: number, sub: number): Promise<void> {
  await q(SQL.archive, { superseded: rev, key });
  await q(SQL.tombstone, { key, rev, sub });
  await q(SQL.deleteKv, { key });
}

function params(range: KeyRange, revision: number | null, extra: Record<string, unknown> = {}) {
  return {
    start: range.start,
    ...(range.end && range.end.length > 0 ? { end: range.end } : {}),
    ...(revision === null ? {} : { rev: revision }),
    ...extra,
  };
}

async function pgRange(range: KeyRange, revision: number | null, limit = -1, keysOnly = false): Promise<KeyValue[]> {
  const stmt = SQL.range(boundOf(range), revision !== null, keysOnly);
  const r = await q(stmt, params(range, revision, { limit: limit < 0 ? postgresDialect.unlimited : limit }));
  return (r.rows as Row[]).map(toKv);
}

async function pgCount(range: KeyRange, revision: number | null): Promise<number> {
  const r = await q(SQL.count(boundOf(range), revision !== null), params(range, revision));
  return Number(Object.values(r.rows[0] as Record<string, unknown>)[0]);
}

const b = (s: string) => Buffer.from(s);
const kv = (key: string, value: string, rev: number, create: number, version: number, lease = 0n): KeyValue => ({
  key: b(key),
  value: b(value),
  modRevision: rev,
  createRevision: create,
  version,
  lease,
});

describe.skipIf(missing !== undefined)('the PostgreSQL dialect on PostgreSQL 15', () => {
  beforeAll(async () => {
    server = await startPostgres();
    const admin = new pg.Client(parsePostgresEndpoint(server.url()).config);
    await admin.connect();
    await admin.query('CREATE DATABASE backend');
    await admin.end();
    client = new pg.Client(parsePostgresEndpoint(server.url('backend')).config);
    await client.connect();
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-pg-vs-sqlite-'));
    sqlite = new SqliteDriver({ path: join(dir, 'b.db'), fsync: false });

    for (const m of postgresDialect.migrations) await client.query(m);
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
        await pgPut(s[1], s[2], s[3]);
        sqlite.put(s[1], s[2], s[3] ? sqlite.get(s[1].key) : undefined);
      } else {
        await pgDelete(s[1], s[2], s[3]);
        sqlite.delete(s[1], s[2], s[3]);
      }
    }
    // Twice: the second must update the row the first inserted.
    await q(SQL.setMeta, { name: 'last_revision', value: '5' });
    await q(SQL.setMeta, { name: 'last_revision', value: '6' });
    await client.query('COMMIT');
    sqlite.commit(6);
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
    for (const range of [all, from, one]) {
      for (const rev of [null, 2, 3, 4, 5]) {
        expect(await pgRange(range, rev)).toEqual(sqlite.range(range, rev, -1));
        expect(await pgCount(range, rev)).toBe(sqlite.count(range, rev));
      }
    }
    expect((await pgRange(all, null)).map((x) => x.value.toString())).toEqual(['3', '1']);
    expect(await pgRange(all, 3, 1)).toEqual(sqlite.range(all, 3, 1));
    expect(await pgRange(all, 3, -1, true)).toEqual(sqlite.range(all, 3, -1, true));
  });

  it('replays changes, previous versions and lease keys as SQLite does', async () => {
    const changes = (await q(SQL.changes(boundOf(all)), params(all, null, { from: 2, to: 6 }))).rows as Row[];
    expect(changes.map((r) => ({ kv: toKv(r), sub: Number(r.sub), deleted: Number(r.deleted) === 1 }))).toEqual(
      sqlite.changes(all, 2, 6),
    );
    const prev = (await q(SQL.prevOf, { key: b('a'), rev: 6 })).rows as Row[];
    expect(prev.map(toKv)).toEqual([sqlite.prevOf(b('a'), 6)]);
    const leased = (await q(SQL.keysByLease, { lease: BIG_LEASE.toString() })).rows as Array<{ key: Buffer }>;
    expect(leased.map((r) => r.key)).toEqual(sqlite.keysWithLease(BIG_LEASE));
    expect(leased.map((r) => r.key.toString())).toEqual(['c']);
    expect((await q(SQL.getMeta, { name: 'last_revision' })).rows).toEqual([{ value: '6' }]);
  });

  it('compacts in limited steps and keeps what reads at the compact revision need', async () => {
    const removed: number[] = [];
    for (;;) {
      const n = (await q(SQL.compact, { rev: 5, batch: 1 })).rowCount ?? 0;
      if (n === 0) break;
      removed.push(n);
    }
    let sqliteRemoved = 0;
    for (let n = sqlite.compact(5, 1); n > 0; n = sqlite.compact(5, 1)) sqliteRemoved += n;
    expect(removed.every((n) => n === 1)).toBe(true);
    expect(removed.length).toBe(sqliteRemoved);
    expect(removed.length).toBeGreaterThan(0);
    expect(await pgRange(all, 5)).toEqual(sqlite.range(all, 5, -1));
    expect(await pgCount(all, 5)).toBe(2);
  });

  it('keeps the password out of a failed login', async () => {
    const wrong = 'not-the-password-4711';
    const bad = new pg.Client({ ...parsePostgresEndpoint(server.url('backend')).config, password: wrong });
    const err = await bad.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await bad.end().catch(() => undefined);
    expect(err?.message).toContain('password authentication failed');
    expect(err?.message).not.toContain(wrong);
    expect(err?.message).not.toContain(server.password);
  });
});
