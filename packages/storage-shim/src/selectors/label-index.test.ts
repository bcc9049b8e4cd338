import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@cnpaas/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { b, openPodsStore, PODS, PODS_END, put, rangeOf, rangeReq, type TestStore } from '../mvcc/test-helpers.js';
import type { KeyValue, RangeRequest } from '../types.js';
import { SqliteDriver } from '../drivers/sqlite-driver.js';
import { toKeyRange } from '../keys.js';
import type { BackendDriver, LabelLookup } from '../mvcc/backend.js';
import { compileSelector } from './selector.js';
import {
  ESTIMATE_CAP,
  indexLookups,
  labelRowsOf,
  mostSelective,
  selectedCandidates,
  UNREADABLE,
} from './label-index.js';

/**
 * The label index must give exactly what the scan gives. A routed store over
 * three SQLite backends takes random creates, label changes and deletes of
 * objects (some of them unreadable: protobuf, plain text, labels that are not
 * a string map), compactions in between, and is asked random selectors at
 * the current and at older revisions, with limit and count. The reference is
 * the same Range without a selector (which never touches the index), filtered
 * with the same evaluator.
 */

const NAMESPACES = ['red', 'blue', 'green'];

let t: TestStore;
afterEach(async () => {
  await t.dispose();
});

const keys = (kvs: KeyValue[]) => kvs.map((kv) => kv.key.toString());

function valueOf(rnd: () => number, ns: string, name: string): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const kind = rnd();
  if (kind < 0.04) return Buffer.concat([b('k8s\x00'), Buffer.from([0x0a, 0x02, 0x76, 0x31])]);
  if (kind < 0.06) return b('plain text');
  if (kind < 0.08) return b(JSON.stringify({ metadata: { name, namespace: ns, labels: { app: 1 } } }));
  if (kind < 0.1) return b(JSON.stringify({ kind: 'Status' }));
  const labels: Record<string, string> = {};
  if (rnd() < 0.7) labels.app = pick(['web', 'db', 'api']);
  if (rnd() < 0.5) labels.tier = String(Math.floor(rnd() * 6));
  if (rnd() < 0.3) labels.env = pick(['prod', 'dev', '']);
  return b(
    JSON.stringify({
      kind: 'Pod',
      metadata: { name, namespace: ns, ...(rnd() < 0.9 ? { labels } : {}) },
      spec: { nodeName: pick(['n1', 'n2']) },
    }),
  );
}

const LABEL_PARTS = [
  'app=web',
  'app==db',
  'app in (web,api)',
  'app',
  'tier',
  'tier>2',
  'env=',
  'env in (prod,dev)',
  'nosuch=x',
  'app!=web',
  'tier notin (1,2)',
  '!env',
];
const FIELD_PARTS = ['', 'spec.nodeName=n1', 'metadata.namespace!=red', 'metadata.name=p3'];

function randomSelector(rnd: () => number): { label: string; field: string } {
  const n = 1 + Math.floor(rnd() * 3);
  const parts = new Set<string>();
  while (parts.size < n) parts.add(LABEL_PARTS[Math.floor(rnd() * LABEL_PARTS.length)]!);
  return { label: [...parts].join(','), field: FIELD_PARTS[Math.floor(rnd() * FIELD_PARTS.length)]! };
}

/** What the store must answer: the unselected Range at that revision, filtered and cut here. */
function reference(req: RangeRequest): { keys: string[]; count: number; more: boolean } {
  const selector = compileSelector(req)!;
  const all = rangeOf(t.store, {
    ...req,
    labelSelector: undefined,
    fieldSelector: undefined,
    limit: 0,
    countOnly: false,
  });
  const matching = all.kvs.filter((kv) => selector.mayMatch(kv.value));
  if (req.countOnly) return { keys: [], count: matching.length, more: false };
  const page = req.limit > 0 ? matching.slice(0, req.limit) : matching;
  return { keys: keys(page), count: matching.length, more: page.length < matching.length };
}

function check(req: RangeRequest, seed: number): void {
  const got = rangeOf(t.store, req);
  const want = reference(req);
  const what = `seed ${seed}, ${JSON.stringify({ l: req.labelSelector, f: req.fieldSelector, rev: req.revision, limit: req.limit, from: req.key.toString() })}`;
  expect({ keys: keys(got.kvs), count: got.count, more: got.more }, what).toEqual(want);
}

describe('label index', () => {
  it.each([1, 2, 3])(
    'answers exactly as the scan, across backends, revisions, label changes, deletes and compaction (seed %i)',
    async (seed) => {
      const rnd = seededRandom(seed);
      t = openPodsStore({ labelIndex: true });
      const revisions: number[] = [];
      let compacted = 0;
      let checks = 0;
      for (let step = 0; step < 400; step++) {
        const ns = NAMESPACES[Math.floor(rnd() * 3)]!;
        const name = `p${Math.floor(rnd() * 40)}`;
        const key = `${PODS}${ns}/${name}`;
        if (rnd() < 0.15) await t.store.deleteRange({ key: b(key), rangeEnd: Buffer.alloc(0), prevKv: false });
        else await t.store.put({ ...put(key, ''), value: valueOf(rnd, ns, name) });
        revisions.push(t.store.revision);
        if (step % 100 === 99) {
          // Compact to a revision some way back, so reads between it and now still use history rows.
          const to = revisions[Math.floor(revisions.length * 0.6)]!;
          if (to > compacted) {
            await t.store.compact(to, true);
            compacted = to;
          }
        }
        if (step % 20 !== 19) continue;
        for (let q = 0; q < 6; q++) {
          const { label, field } = randomSelector(rnd);
          const usable = revisions.filter((r) => r >= compacted);
          const revision = rnd() < 0.4 ? 0 : usable[Math.floor(rnd() * usable.length)]!;
          const limit = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 5);
          const from = rnd() < 0.3 ? `${PODS}${NAMESPACES[Math.floor(rnd() * 3)]!}/` : PODS;
          const req = rangeReq(from, PODS_END, { labelSelector: label, fieldSelector: field, revision, limit });
          check(req, seed);
          check({ ...req, countOnly: true, limit: 0 }, seed);
          checks += 2;
        }
      }
      expect(checks).toBe(240);
      expect(compacted).toBeGreaterThan(0);
    },
  );

  it('pages a selected list at the first page revision while objects change labels and go away', async () => {
    t = openPodsStore({ labelIndex: true });
    for (let i = 0; i < 30; i++) {
      const ns = NAMESPACES[i % 3]!;
      await t.store.put(
        put(`${PODS}${ns}/p${i}`, JSON.stringify({ metadata: { labels: { app: i % 2 ? 'web' : 'db' } } })),
      );
    }
    const revision = t.store.revision;
    const label = 'app=web';
    const all = reference(rangeReq(PODS, PODS_END, { labelSelector: label, revision })).keys;
    expect(all).toHaveLength(15);
    const seen: string[] = [];
    let from = PODS;
    for (let page = 0; ; page++) {
      const got = rangeOf(t.store, rangeReq(from, PODS_END, { labelSelector: label, limit: 4, revision }));
      seen.push(...keys(got.kvs));
      // Between pages: relabel one match, delete another; the pinned pages must not notice.
      const victim = all[page * 2];
      if (victim) {
        await t.store.put(put(victim, JSON.stringify({ metadata: { labels: { app: 'db' } } })));
        await t.store.deleteRange({ key: b(all[page * 2 + 1] ?? victim), rangeEnd: Buffer.alloc(0), prevKv: false });
      }
      if (!got.more) break;
      from = `${got.kvs.at(-1)!.key.toString()}\0`;
    }
    expect(seen).toEqual(all);
    // And now: only the matches nobody touched.
    check(rangeReq(PODS, PODS_END, { labelSelector: label }), 0);
  });

  it('leaves no index row behind the versions compaction removed', async () => {
    t = openPodsStore({ labelIndex: true });
    for (let i = 0; i < 20; i++) {
      const key = `${PODS}red/p${i % 4}`;
      await t.store.put(put(key, JSON.stringify({ metadata: { labels: { app: `v${i}`, keep: 'x' } } })));
      if (i % 5 === 4) await t.store.deleteRange({ key: b(key), rangeEnd: Buffer.alloc(0), prevKv: false });
    }
    await t.store.compact(t.store.revision, true);
    await t.store.close();
    const db = new Database(join(t.dir, 'red.db'), { readonly: true });
    try {
      const orphans = db
        .prepare(
          `SELECT count(*) FROM label_index l WHERE NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = l.key AND kv.mod_revision = l.revision)
           AND NOT EXISTS (SELECT 1 FROM history h WHERE h.key = l.key AND h.mod_revision = l.revision AND h.deleted = 0)`,
        )
        .pluck()
        .get();
      expect(orphans).toBe(0);
      // Only the live keys' rows are left: two labels each.
      const live = db.prepare('SELECT count(*) FROM kv').pluck().get() as number;
      expect(db.prepare('SELECT count(*) FROM label_index').pluck().get()).toBe(live * 2);
      expect(live).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    t.reopen();
  });
});

describe('labelRowsOf and indexLookups', () => {
  it('indexes each label of a JSON object, nothing for an object without labels, a marker for the unreadable', () => {
    expect(labelRowsOf(b('{"metadata":{"labels":{"a":"1","b":""}}}'))).toEqual([
      ['a', '1'],
      ['b', ''],
    ]);
    expect(labelRowsOf(b('{"metadata":{"name":"x"}}'))).toEqual([]);
    expect(labelRowsOf(b('{"kind":"Status"}'))).toEqual([]);
    expect(labelRowsOf(b('{"metadata":{"labels":{"a":1}}}'))).toEqual([UNREADABLE]);
    expect(labelRowsOf(b('k8s\x00\x0a'))).toEqual([UNREADABLE]);
    expect(labelRowsOf(b('hello'))).toEqual([UNREADABLE]);
    expect(labelRowsOf(b(''))).toEqual([UNREADABLE]);
  });

  it('offers the requirements that name values first, then those that need the label, never a negative one', () => {
    const lookups = (label: string, field = '') =>
      indexLookups(compileSelector({ labelSelector: label, fieldSelector: field })!);
    expect(lookups('tier,app in (b,a)')).toEqual([
      { name: 'app', values: ['a', 'b'] },
      { name: 'tier', values: null },
    ]);
    expect(lookups('tier>3,x!=y,tier<9')).toEqual([{ name: 'tier', values: null }]);
    expect(lookups('x!=y,y notin (a),!z')).toEqual([]);
    expect(lookups('', 'spec.nodeName=n1')).toEqual([]);
  });
});

describe('mostSelective', () => {
  const app: LabelLookup = { name: 'app', values: ['web'] };
  const name: LabelLookup = { name: 'name', values: ['p7'] };
  const tier: LabelLookup = { name: 'tier', values: null };

  it('picks the lookup with the fewest rows, probing each with the best count so far as its cap', () => {
    const rows = new Map<LabelLookup, number>([
      [app, 900],
      [name, 1],
      [tier, 40],
    ]);
    const probes: Array<[string, number]> = [];
    const count = (l: LabelLookup, cap: number) => {
      probes.push([l.name, cap]);
      return Math.min(rows.get(l)!, cap);
    };
    expect(mostSelective([app, tier, name], count)).toBe(name);
    expect(probes).toEqual([
      ['app', ESTIMATE_CAP],
      ['tier', 900],
      ['name', 40],
    ]);
  });

  it('keeps the first on a tie, stops at a lookup with no rows, and does not probe a single lookup', () => {
    const probes: string[] = [];
    const count = (rows: Record<string, number>) => (l: LabelLookup, cap: number) => {
      probes.push(l.name);
      return Math.min(rows[l.name]!, cap);
    };
    expect(mostSelective([app, tier], count({ app: 5, tier: 5 }))).toBe(app);
    probes.length = 0;
    expect(mostSelective([app, name, tier], count({ app: 5, name: 0, tier: 5 }))).toBe(name);
    expect(probes).toEqual(['app', 'name']);
    probes.length = 0;
    expect(mostSelective([tier], count({ tier: 5 }))).toBe(tier);
    expect(probes).toEqual([]);
  });
});

describe('selectedCandidates', () => {
  it('reads a backend through its index when the selector allows, and scans otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpaas-candidates-'));
    try {
      const d = new SqliteDriver({ path: join(dir, 'a.db'), fsync: false, labelIndex: true });
      d.begin();
      for (let i = 0; i < 50; i++) {
        const labels = i % 10 === 0 ? { app: 'rare' } : { app: 'common' };
        d.put(
          {
            key: b(`/registry/pods/ns/p${String(i).padStart(2, '0')}`),
            value: b(JSON.stringify({ metadata: { labels } })),
            modRevision: i + 2,
            createRevision: i + 2,
            version: 1,
            lease: 0n,
          },
          0,
          undefined,
        );
      }
      void d.commit(51);
      const range = toKeyRange(b(PODS), b(PODS_END));
      const of = (drivers: BackendDriver[], label: string) =>
        selectedCandidates(drivers, range, null, compileSelector({ labelSelector: label })!).map((l) => l.length);
      expect(of([d], 'app=rare')).toEqual([5]);
      expect(of([d], 'app in (rare,none),app!=common')).toEqual([5]);
      // Of two requirements it answers, the index reads the one with fewer rows, wherever it stands.
      expect(of([d], 'app in (common,rare),app=rare')).toEqual([5]);
      expect(of([d], 'app,app=rare')).toEqual([5]);
      // Nothing the index answers: the whole range, for the selector to filter.
      expect(of([d], 'app!=common')).toEqual([50]);
      // A driver without an index (the network ones today) is scanned beside one with it.
      // Only `range` and `rangeByLabel` are read; this one has the real driver's `range` and no index.
      const unindexed = { range: d.range.bind(d) } as unknown as BackendDriver;
      expect(of([d, unindexed], 'app=rare')).toEqual([5, 50]);
      d.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
