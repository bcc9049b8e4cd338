import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toKeyRange } from '../keys.js';
import type { KeyValue } from '../types.js';
import { SqliteDriver } from './sqlite-driver.js';
import { nextVersion as version } from '../mvcc/test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b = (s: string) => Buffer.from(s);
const object = (labels: Record<string, string>) => JSON.stringify({ metadata: { labels } });
const ALL = toKeyRange(b('/'), b('\0'));
const keysOf = (kvs: KeyValue[]) => kvs.map((kv) => kv.key.toString());

/** 300 objects, every 100th labelled app=rare, the rest app=common; a relabel and a delete; a protobuf value. */
function fill(d: SqliteDriver): number {
  d.begin();
  let rev = 1;
  for (let i = 0; i < 300; i++) {
    const key = `/registry/pods/ns/p${String(i).padStart(3, '0')}`;
    d.put(version(key, ++rev, object({ app: i % 100 === 0 ? 'rare' : 'common' })), 0, undefined);
  }
  const p100 = d.get(b('/registry/pods/ns/p100'))!;
  d.put(version('/registry/pods/ns/p100', ++rev, object({ app: 'common' }), p100), 0, p100);
  d.delete(b('/registry/pods/ns/p200'), ++rev, 0);
  d.put(version('/registry/pods/ns/proto', ++rev, 'k8s\x00\x0a\x02'), 0, undefined);
  void d.commit(rev); // fsync off: nothing to wait for
  return rev;
}

describe('SqliteDriver label index', () => {
  it('reads only the labelled keys, now and at a past revision, plus the unreadable ones', () => {
    const d = new SqliteDriver({ path: join(dir, 'a.db'), fsync: false, labelIndex: true });
    const last = fill(d);
    const rare = { name: 'app', values: ['rare'] };
    expect(keysOf(d.rangeByLabel!(ALL, null, [rare]))).toEqual(['/registry/pods/ns/p000', '/registry/pods/ns/proto']);
    // Before the relabel (rev 302) and the delete (rev 303): all three.
    expect(keysOf(d.rangeByLabel!(ALL, 301, [rare]))).toEqual([
      '/registry/pods/ns/p000',
      '/registry/pods/ns/p100',
      '/registry/pods/ns/p200',
    ]);
    expect(d.rangeByLabel!(ALL, 301, [rare]).map((kv) => kv.modRevision)).toEqual([2, 102, 202]);
    // Range bounds apply; `exists` reads every value of the label, in key order.
    const upTo = toKeyRange(b('/registry/pods/ns/p000'), b('/registry/pods/ns/p100'));
    expect(keysOf(d.rangeByLabel!(upTo, null, [rare]))).toEqual(['/registry/pods/ns/p000']);
    const any = d.rangeByLabel!(ALL, null, [{ name: 'app', values: null }]);
    expect(any).toHaveLength(300); // 299 live objects and the protobuf one
    expect(keysOf(any)).toEqual([...keysOf(any)].sort());
    expect(keysOf(d.rangeByLabel!(ALL, last, [{ name: 'nosuch', values: ['x'] }]))).toEqual([
      '/registry/pods/ns/proto',
    ]);
    d.close();
  });

  it('reads the lookup with the fewest rows at the revision asked, and only the marked keys for a label nobody has', () => {
    const d = new SqliteDriver({ path: join(dir, 'pick.db'), fsync: false, labelIndex: true });
    const last = fill(d);
    const common = { name: 'app', values: ['common'] };
    const rare = { name: 'app', values: ['rare'] };
    expect(keysOf(d.rangeByLabel!(ALL, null, [common, rare]))).toEqual([
      '/registry/pods/ns/p000',
      '/registry/pods/ns/proto',
    ]);
    expect(keysOf(d.rangeByLabel!(ALL, 301, [common, rare]))).toHaveLength(3);
    // `app` (any value) has 298 rows; `tier` none: only the unreadable key is read.
    const tier = { name: 'tier', values: null };
    expect(keysOf(d.rangeByLabel!(ALL, last, [{ name: 'app', values: null }, tier]))).toEqual([
      '/registry/pods/ns/proto',
    ]);
    d.close();
  });

  it('builds the index at open for a file written before it existed, and answers the same', () => {
    const path = join(dir, 'b.db');
    const d = new SqliteDriver({ path, fsync: false, labelIndex: true });
    fill(d);
    const before = [null, 301, 302].map((rev) =>
      keysOf(d.rangeByLabel!(ALL, rev, [{ name: 'app', values: ['rare'] }])),
    );
    d.close();

    // What an older store left: schema version 2, no label_index table, no record of a build.
    const raw = new Database(path);
    const rows = raw.prepare('SELECT count(*) FROM label_index').pluck().get() as number;
    raw.exec("DROP TABLE label_index; DELETE FROM meta WHERE name = 'labels_built'");
    raw.pragma('user_version = 2');
    raw.close();

    const reopened = new SqliteDriver({ path, fsync: false, labelIndex: true });
    const after = [null, 301, 302].map((rev) =>
      keysOf(reopened.rangeByLabel!(ALL, rev, [{ name: 'app', values: ['rare'] }])),
    );
    expect(after).toEqual(before);
    reopened.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT count(*) FROM label_index').pluck().get()).toBe(rows);
    expect(check.pragma('user_version', { simple: true })).toBe(3);
    check.close();
  });

  it('writes no label row for an object without labels, one per label otherwise', () => {
    const path = join(dir, 'c.db');
    const d = new SqliteDriver({ path, fsync: false, labelIndex: true });
    d.begin();
    d.put(version('/registry/a', 2, JSON.stringify({ kind: 'Status', metadata: { name: 'a' } })), 0, undefined);
    d.put(version('/registry/b', 3, object({ x: '1', y: '2' })), 0, undefined);
    void d.commit(3);
    d.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT name, value, key FROM label_index ORDER BY name').raw().all()).toEqual([
      ['x', '1', b('/registry/b')],
      ['y', '2', b('/registry/b')],
    ]);
    raw.close();
  });
  it('costs nothing without --label-index, and is emptied then rebuilt when the setting changes', () => {
    const path = join(dir, 'd.db');
    const count = () => {
      const raw = new Database(path, { readonly: true });
      const rows = raw.prepare('SELECT count(*) FROM label_index').pluck().get() as number;
      const built = raw.prepare("SELECT count(*) FROM meta WHERE name = 'labels_built'").pluck().get() as number;
      raw.close();
      return { rows, built };
    };
    const rare = { name: 'app', values: ['rare'] };
    // Off (the default): no row for any version, and no index to read (a label-selected Range scans).
    const off = new SqliteDriver({ path, fsync: false });
    fill(off);
    expect(off.rangeByLabel).toBeUndefined();
    off.close();
    expect(count()).toEqual({ rows: 0, built: 0 });
    // On: filled from the rows at open, and it answers as the index does.
    const on = new SqliteDriver({ path, fsync: false, labelIndex: true });
    expect(keysOf(on.rangeByLabel!(ALL, null, [rare]))).toEqual(['/registry/pods/ns/p000', '/registry/pods/ns/proto']);
    expect(keysOf(on.rangeByLabel!(ALL, 301, [rare]))).toHaveLength(3); // before the relabel and the delete
    on.close();
    expect(count().rows).toBeGreaterThan(300);
    expect(count().built).toBe(1);
    // Off again: emptied, so that writes made meanwhile cannot leave it stale for the next start with it.
    new SqliteDriver({ path, fsync: false }).close();
    expect(count()).toEqual({ rows: 0, built: 0 });
  });
});
