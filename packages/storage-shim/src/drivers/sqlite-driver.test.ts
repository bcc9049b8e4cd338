import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toKeyRange } from '../keys.js';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteDriver } from './sqlite-driver.js';
import { nextVersion as kv } from '../mvcc/test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b = (s: string) => Buffer.from(s, 'latin1');

describe('SqliteDriver', () => {
  it('keeps bytes exact: NUL and 0xff keys, empty and binary values, 64-bit leases', () => {
    const d = new SqliteDriver({ path: join(dir, 'a.db'), fsync: false });
    d.begin();
    d.put({ ...kv('\x00\xff', 2, ''), lease: -9_223_372_036_854_775_808n }, 0, undefined);
    d.put(kv('k', 2, '\xff\x00\xfe'), 1, undefined);
    void d.commit(2); // fsync off: nothing to wait for
    expect(d.get(b('\x00\xff'))).toMatchObject({ value: Buffer.alloc(0), lease: -9_223_372_036_854_775_808n });
    expect(d.get(b('k'))!.value).toEqual(b('\xff\x00\xfe'));
    expect(d.range(toKeyRange(b('\x00'), b('\x00')), null, -1).map((x) => x.key)).toEqual([b('\x00\xff'), b('k')]);
    d.close();
  });

  it('answers reads at a past revision from history, and prev values for events', () => {
    const d = new SqliteDriver({ path: join(dir, 'b.db'), fsync: false });
    d.begin();
    const v1 = kv('k', 2, 'one');
    d.put(v1, 0, undefined);
    const v2 = kv('k', 3, 'two', v1);
    d.put(v2, 0, v1);
    d.delete(b('k'), 4, 0);
    void d.commit(4); // fsync off: nothing to wait for
    const at = (rev: number | null) => d.range(toKeyRange(b('k'), b('')), rev, -1).map((x) => `${x.value}`);
    expect([at(2), at(3), at(4), at(null)]).toEqual([['one'], ['two'], [], []]);
    expect(d.prevOf(b('k'), 4)?.value.toString()).toBe('two');
    expect(
      d.changes(toKeyRange(b('k'), b('')), 2, 4).map((c) => `${c.deleted ? 'del' : 'put'}@${c.kv.modRevision}`),
    ).toEqual(['put@2', 'put@3', 'del@4']);
    expect(d.lastRevision()).toBe(4);
    // compaction keeps what a read at >= 3 needs, and the rows written at exactly 3
    while (d.compact(3, 1) > 0);
    expect(at(3)).toEqual(['two']);
    expect(d.changes(toKeyRange(b('k'), b('')), 3, 4)).toHaveLength(2);
    d.close();
  });

  it('answers a read inside a batch with what the batch wrote, undid or deleted, with or without the label index', () => {
    for (const labelIndex of [false, true]) {
      const d = new SqliteDriver({ path: join(dir, `reads-${labelIndex}.db`), fsync: false, labelIndex });
      const value = (key: string) => d.get(b(key))?.value.toString();
      d.begin();
      expect(value('k')).toBeUndefined();
      const v1 = kv('k', 2, 'one');
      d.put(v1, 0, undefined);
      expect(value('k')).toBe('one');
      d.savepoint();
      d.put(kv('k', 3, 'two', v1), 0, v1);
      expect(value('k')).toBe('two');
      d.rollbackToSavepoint();
      expect(value('k')).toBe('one');
      d.delete(b('k'), 3, 0);
      expect(value('k')).toBeUndefined();
      void d.commit(3); // fsync off: nothing to wait for
      expect(value('k')).toBeUndefined();
      d.begin();
      d.put(kv('k', 4, 'four'), 0, undefined);
      expect(value('k')).toBe('four');
      d.rollback();
      expect(value('k')).toBeUndefined();
      d.close();
    }
  });

  it('stamps the schema version and refuses a file from a newer store', () => {
    const path = join(dir, 'c.db');
    new SqliteDriver({ path, fsync: false }).close();
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => new SqliteDriver({ path, fsync: false })).toThrow('newer than this store understands');
  });
});
