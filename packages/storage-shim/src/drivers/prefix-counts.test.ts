import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestStore, b, openTestStore, put, rangeReq, rangeOf } from '../mvcc/test-helpers.js';
import { countedPrefixes } from './prefix-counts.js';

const SPLIT = `
backends:
  - name: widgets
    endpoint: sqlite://widgets.db
    customresource: { group: example.dev, kind: widgets }
`;

let t: TestStore;
afterEach(async () => {
  await t.dispose();
});

const NAMESPACES = ['default', 'kube-system', 'team-a'];
const PREFIXES = [
  '/registry/',
  '/registry/configmaps/',
  ...NAMESPACES.map((ns) => `/registry/configmaps/${ns}/`),
  '/registry/example.dev/',
  '/registry/example.dev/widgets/',
  ...NAMESPACES.map((ns) => `/registry/example.dev/widgets/${ns}/`),
  '/registry/namespaces/',
  // Not counted (not a directory, or deeper than counted): always counted row by row.
  '/registry/configmaps/default/cm-1',
  '/registry/example.dev/widgets/default/deeper/',
];

/** A deterministic pseudo-random sequence, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The `counts` table of a backend file, read from outside the store. */
function countRows(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT CAST(prefix AS TEXT) AS prefix, n FROM counts ORDER BY prefix').all();
  } finally {
    db.close();
  }
}

const end = (prefix: string) => {
  const e = b(prefix);
  e[e.length - 1]!++;
  return e.toString('latin1');
};

describe('per-prefix counts', () => {
  it('equal a full count for every prefix, now and at past revisions, through creates, updates, deletes and txns', async () => {
    t = openTestStore(SPLIT);
    const next = random(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const key = () => {
      const ns = pick(NAMESPACES);
      const n = Math.floor(next() * 12);
      switch (Math.floor(next() * 4)) {
        case 0:
          return `/registry/configmaps/${ns}/cm-${n}`;
        case 1:
          return `/registry/example.dev/widgets/${ns}/w-${n}`;
        case 2:
          return `/registry/example.dev/widgets/${ns}/deeper/x-${n}`;
        default:
          return `/registry/namespaces/${ns}-${n}`;
      }
    };
    const revisions: number[] = [];
    for (let i = 0; i < 400; i++) {
      const roll = next();
      if (roll < 0.55) await t.store.put(put(key(), `v${i}`));
      else if (roll < 0.75) await t.store.deleteRange({ key: b(key()), rangeEnd: Buffer.alloc(0), prevKv: false });
      else if (roll < 0.85) {
        // A prefix delete: many deletes in one revision.
        const prefix = pick(PREFIXES.filter((p) => p.endsWith('/') && p.split('/').length > 4));
        await t.store.deleteRange({ key: b(prefix), rangeEnd: b(end(prefix)), prevKv: false });
      } else {
        // Several writes in one txn, across both files.
        const success = [key(), key(), key()]
          .filter((k, j, all) => all.indexOf(k) === j)
          .map((k) => ({ put: put(k, 'x') }));
        await t.store.txn({ compare: [], success, failure: [] });
      }
      revisions.push(t.store.revision);
    }
    const atRevisions = [null, ...revisions.filter((_, i) => i % 23 === 0), revisions.at(-2)!];
    let counted = 0;
    for (const revision of atRevisions) {
      for (const prefix of PREFIXES) {
        const at = revision === null ? {} : { revision };
        const full = rangeOf(t.store, rangeReq(prefix, end(prefix), at)).kvs.length;
        expect(
          rangeOf(t.store, rangeReq(prefix, end(prefix), { ...at, countOnly: true })).count,
          `${prefix}@${revision}`,
        ).toBe(full);
        // A limited page counts the whole range too (what kube-apiserver's remainingItemCount comes from).
        const page = rangeOf(t.store, rangeReq(prefix, end(prefix), { ...at, limit: 2 }));
        expect(page.count, `${prefix}@${revision} limit 2`).toBe(full);
        counted += full;
      }
    }
    expect(counted).toBeGreaterThan(500);
  });

  it("sums a batch's creates and deletes per prefix: a count inside the batch sees them, and a request undone to its savepoint takes only its own", async () => {
    t = openTestStore(SPLIT);
    const ns = '/registry/configmaps/default/';
    const countNs = () => rangeReq(ns, end(ns), { countOnly: true });
    const none = Buffer.alloc(0);
    // Requests made in one turn of the event loop share one group commit.
    const creates = Array.from({ length: 10 }, (_, i) => t.store.put(put(`${ns}cm-${i}`, 'x')));
    const deleted = t.store.deleteRange({ key: b(`${ns}cm-3`), rangeEnd: none, prevKv: false });
    const reads = t.store.txn({
      compare: [],
      success: [{ put: put(`${ns}cm-10`, 'x') }, { range: countNs() }],
      failure: [],
    });
    // Creates cm-11 and cm-13 and deletes cm-0, then fails (cm-0 is gone for the ignore_value put): undone to its
    // savepoint, its deltas with it.
    const undone = t.store.txn({
      compare: [],
      success: [
        { put: put(`${ns}cm-11`, 'x') },
        { put: put(`${ns}cm-13`, 'x') },
        { deleteRange: { key: b(`${ns}cm-0`), rangeEnd: none, prevKv: false } },
        { put: { ...put(`${ns}cm-0`, ''), ignoreValue: true } },
      ],
      failure: [],
    });
    const last = t.store.put(put(`${ns}cm-12`, 'x'));
    await Promise.all([...creates, deleted, last]);
    await expect(undone).rejects.toThrow('etcdserver: key not found');
    const read = await reads;
    expect(t.store.stats.batches, 'every request in one group commit').toBe(1);
    // cm-0..9 without cm-3, with cm-10.
    expect(read.responses[1]).toMatchObject({ range: { count: 10 } });
    const live = rangeOf(t.store, rangeReq(ns, end(ns))).kvs.map((kv) => kv.key.toString());
    expect(live).toHaveLength(11);
    expect(live).not.toContain(`${ns}cm-11`);
    expect(live).toContain(`${ns}cm-0`);
    expect(rangeOf(t.store, countNs()).count).toBe(11);
    // The rows themselves, written once per prefix at the commit.
    await t.store.close();
    expect(countRows(`${t.dir}/main.db`)).toEqual([
      { prefix: '/registry/', n: 11 },
      { prefix: '/registry/configmaps/', n: 11 },
      { prefix: ns, n: 11 },
    ]);
  });

  it('answers a counted prefix from its row, and a past revision before its last create or delete by counting', async () => {
    t = openTestStore(SPLIT);
    for (let i = 0; i < 5; i++) await t.store.put(put(`/registry/configmaps/default/cm-${i}`, 'x'));
    const before = t.store.revision;
    await t.store.put(put('/registry/configmaps/default/cm-0', 'updated'));
    const afterUpdate = t.store.revision;
    await t.store.put(put('/registry/configmaps/default/cm-9', 'x'));
    await t.store.close();
    // Tamper with the row: a count that comes from it shows the tampered value.
    const raw = new Database(`${t.dir}/main.db`);
    raw.prepare("UPDATE counts SET n = 999 WHERE prefix = CAST('/registry/configmaps/default/' AS BLOB)").run();
    raw.close();
    const s = t.reopen();
    const count = (revision = 0) =>
      rangeOf(
        s,
        rangeReq('/registry/configmaps/default/', '/registry/configmaps/default0', { countOnly: true, revision }),
      ).count;
    expect(count()).toBe(999);
    // Before the last create: counted from the rows, 5 keys. An update does not move `changed`, a create does.
    expect(count(before)).toBe(5);
    expect(count(afterUpdate)).toBe(5);
    // A range that is not exactly the prefix (a list's later page) is counted from the rows.
    expect(
      rangeOf(s, rangeReq('/registry/configmaps/default/cm-2', '/registry/configmaps/default0', { countOnly: true }))
        .count,
    ).toBe(4);
  });

  it('is built from the live keys when a file written before it existed is opened', async () => {
    t = openTestStore(SPLIT);
    for (let i = 0; i < 7; i++) await t.store.put(put(`/registry/example.dev/widgets/team-a/w-${i}`, 'x'));
    await t.store.deleteRange({
      key: b('/registry/example.dev/widgets/team-a/w-3'),
      rangeEnd: Buffer.alloc(0),
      prevKv: false,
    });
    await t.store.close();
    const raw = new Database(`${t.dir}/widgets.db`);
    raw.exec("DELETE FROM counts; DELETE FROM meta WHERE name = 'counts_built'");
    raw.close();
    const s = t.reopen();
    const prefix = '/registry/example.dev/widgets/team-a/';
    expect(rangeOf(s, rangeReq(prefix, end(prefix), { countOnly: true })).count).toBe(6);
    expect(countRows(`${t.dir}/widgets.db`)).toEqual([
      { prefix: '/registry/', n: 6 },
      { prefix: '/registry/example.dev/', n: 6 },
      { prefix: '/registry/example.dev/widgets/', n: 6 },
      { prefix: '/registry/example.dev/widgets/team-a/', n: 6 },
    ]);
  });

  it('counts the directories of a key, not its root, at most four deep', () => {
    const names = (key: string) => countedPrefixes(b(key)).map(String);
    expect(names('/registry/pods/default/p1')).toEqual(['/registry/', '/registry/pods/', '/registry/pods/default/']);
    expect(names('/a/b/c/d/e/f')).toEqual(['/a/', '/a/b/', '/a/b/c/', '/a/b/c/d/']);
    expect(names('/dir/')).toEqual(['/dir/']);
    expect(names('plain')).toEqual([]);
  });
});
