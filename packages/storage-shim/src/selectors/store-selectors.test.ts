import { status } from '@grpc/grpc-js';
import { seededRandom } from '@cnpaas/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdError } from '../errors.js';
import { toKeyRange } from '../keys.js';
import {
  b,
  openPodsStore,
  openTestStore,
  PODS,
  PODS_END,
  put,
  rangeOf,
  rangeReq,
  type TestStore,
} from '../mvcc/test-helpers.js';
import { WatchHub, Watcher, type WatchSink } from '../mvcc/watch-hub.js';
import type { Event, KeyValue, RangeRequest } from '../types.js';
import { compileSelector } from './selector.js';

/**
 * Range and Watch with selectors on a real revision store (SQLite files,
 * in-process), routed over three backends so that every answer is merged.
 * The reference for each filtered Range is the same Range without a
 * selector, filtered here with the same evaluator: the store must return
 * exactly those keys, with count, limit and more about them.
 */

interface Pod {
  ns: string;
  name: string;
  labels?: Record<string, string>;
  node?: string;
}

const podValue = (p: Pod) =>
  b(
    JSON.stringify({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: p.name, namespace: p.ns, ...(p.labels ? { labels: p.labels } : {}) },
      spec: p.node === undefined ? {} : { nodeName: p.node },
    }),
  );
const podKey = (p: Pod) => `${PODS}${p.ns}/${p.name}`;

let t: TestStore;
afterEach(async () => {
  await t.dispose();
});

async function putPods(pods: Pod[]): Promise<void> {
  for (const p of pods) await t.store.put(put(podKey(p), podValue(p).toString()));
}

/** 30 pods over three namespaces (three backends), with a spread of labels and nodes. */
function fleet(): Pod[] {
  const out: Pod[] = [];
  for (let i = 0; i < 30; i++) {
    const labels: Record<string, string> = {};
    if (i % 2 === 0) labels.app = 'web';
    else if (i % 3 === 0) labels.app = 'db';
    if (i % 5 === 0) labels.tier = String(i);
    if (i % 7 === 0) labels['skip-controller-manager-metadata-caching'] = '';
    out.push({
      ns: ['red', 'blue', 'green'][i % 3]!,
      name: `p${String(i).padStart(2, '0')}`,
      ...(i % 11 === 10 ? {} : { labels }),
      ...(i % 4 === 0 ? {} : { node: `n${i % 4}` }),
    });
  }
  return out;
}

const keys = (kvs: KeyValue[]) => kvs.map((kv) => kv.key.toString());

/** The answer the store must give: the unfiltered answer, filtered with the same evaluator. */
function reference(req: RangeRequest): KeyValue[] {
  const selector = compileSelector(req)!;
  const all = rangeOf(t.store, { ...req, labelSelector: undefined, fieldSelector: undefined, limit: 0 });
  return all.kvs.filter((kv) => selector.mayMatch(kv.value));
}

const SELECTORS: Array<[string, string]> = [
  ['app=web', ''],
  ['app!=web', ''],
  ['app notin (web)', ''],
  ['app in (web,db),tier', ''],
  ['!skip-controller-manager-metadata-caching', ''],
  ['tier>5', ''],
  ['tier<5,app', ''],
  ['', 'spec.nodeName=n1'],
  ['', 'spec.nodeName!=n1'],
  ['', 'metadata.namespace=blue'],
  ['app=web', 'metadata.namespace!=red,metadata.name!=p02'],
  ['nosuchlabel', ''],
];

describe('Range with a selector', () => {
  it.each(SELECTORS)('label %j field %j: exactly the matching keys, count of matches', async (label, field) => {
    t = openPodsStore();
    await putPods(fleet());
    const req = rangeReq(PODS, PODS_END, { labelSelector: label, fieldSelector: field });
    const expected = reference(req);
    const got = rangeOf(t.store, req);
    expect(keys(got.kvs)).toEqual(keys(expected));
    expect(got.count).toBe(expected.length);
    expect(got.more).toBe(false);
    // count_only counts the same keys.
    const counted = rangeOf(t.store, { ...req, countOnly: true });
    expect(counted).toMatchObject({ kvs: [], count: expected.length, more: false });
  });

  it('pages through the matches with limit and more, at one revision, across backends', async () => {
    t = openPodsStore();
    await putPods(fleet());
    const label = 'app!=db';
    const all = reference(rangeReq(PODS, PODS_END, { labelSelector: label }));
    expect(all.length).toBeGreaterThan(10);
    const revision = t.store.revision;
    // Writes after the first page must not show in later pages read at its revision.
    const seen: string[] = [];
    let from = PODS;
    let pages = 0;
    for (;;) {
      const page = rangeOf(t.store, rangeReq(from, PODS_END, { labelSelector: label, limit: 4, revision }));
      const rest = all.filter((kv) => kv.key.toString() >= from);
      expect(page.count).toBe(rest.length);
      expect(keys(page.kvs)).toEqual(keys(rest.slice(0, 4)));
      expect(page.more).toBe(rest.length > 4);
      seen.push(...keys(page.kvs));
      if (pages++ === 0) await putPods([{ ns: 'blue', name: 'p99', labels: { app: 'web' } }]);
      if (!page.more) break;
      from = `${page.kvs.at(-1)!.key.toString()}\0`;
    }
    expect(seen).toEqual(keys(all));
    expect(pages).toBe(Math.ceil(all.length / 4));
  });

  it('answers at a past revision with the labels the objects had then', async () => {
    t = openPodsStore();
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'web' } }]);
    const before = t.store.revision;
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'db' } }]);
    const req = rangeReq(PODS, PODS_END, { labelSelector: 'app=web' });
    expect(keys(rangeOf(t.store, req).kvs)).toEqual([]);
    expect(keys(rangeOf(t.store, { ...req, revision: before }).kvs)).toEqual(['/registry/pods/red/a']);
  });

  it('keeps keys_only, sorting and the mod-revision filters working on the matches', async () => {
    t = openPodsStore();
    await putPods(fleet());
    const req = rangeReq(PODS, PODS_END, { labelSelector: 'app=web' });
    const expected = keys(reference(req));

    const keysOnly = rangeOf(t.store, { ...req, keysOnly: true });
    expect(keys(keysOnly.kvs)).toEqual(expected);
    expect(keysOnly.kvs.every((kv) => kv.value.length === 0)).toBe(true);

    const desc = rangeOf(t.store, { ...req, sortOrder: 'DESCEND', sortTarget: 'KEY', limit: 3 });
    expect(keys(desc.kvs)).toEqual([...expected].reverse().slice(0, 3));
    expect(desc).toMatchObject({ more: true, count: expected.length });

    // etcd counts before the min/max filters; with a selector, the matches before them.
    const recent = rangeOf(t.store, { ...req, minModRevision: 20 });
    const modOf = new Map(reference(req).map((kv) => [kv.key.toString(), kv.modRevision]));
    expect(keys(recent.kvs)).toEqual(expected.filter((k) => modOf.get(k)! >= 20));
    expect(recent.count).toBe(expected.length);
  });

  it('keeps values it cannot read (protobuf) and filters inside a txn', async () => {
    t = openPodsStore();
    await putPods([
      { ns: 'red', name: 'a', labels: { app: 'web' } },
      { ns: 'red', name: 'b', labels: { app: 'db' } },
    ]);
    await t.store.put({
      ...put('/registry/pods/red/c', ''),
      value: Buffer.concat([b('k8s\x00'), Buffer.from([0x0a, 0x02, 0x76, 0x31])]),
    });
    const req = rangeReq(PODS, PODS_END, { labelSelector: 'app=web' });
    expect(keys(rangeOf(t.store, req).kvs)).toEqual(['/registry/pods/red/a', '/registry/pods/red/c']);
    const txn = await t.store.txn({ compare: [], success: [{ range: req }], failure: [] });
    const inner = txn.responses[0]!;
    expect('range' in inner && keys(inner.range.kvs)).toEqual(['/registry/pods/red/a', '/registry/pods/red/c']);
  });

  it('refuses a bad selector with INVALID_ARGUMENT and CNPAAS_STORE_BAD_SELECTOR', () => {
    t = openTestStore();
    const attempt = () => rangeOf(t.store, rangeReq(PODS, PODS_END, { labelSelector: 'app in web' }));
    expect(attempt).toThrow(EtcdError);
    expect(attempt).toThrow(/CNPAAS_STORE_BAD_SELECTOR: invalid label selector "app in web"/);
    try {
      attempt();
    } catch (err) {
      expect((err as EtcdError).code).toBe(status.INVALID_ARGUMENT);
    }
  });

  it('answers exactly as before when the selectors are empty', async () => {
    t = openPodsStore();
    await putPods(fleet());
    const plain = rangeReq(PODS, PODS_END, { limit: 5 });
    expect(rangeOf(t.store, { ...plain, labelSelector: '', fieldSelector: '' })).toEqual(rangeOf(t.store, plain));
  });
});

describe('Range with a selector, seeded random histories', () => {
  const LABEL_SELECTORS = ['a=1', 'a!=1', 'a in (1,2)', 'a notin (2)', 'a', '!a', 'b>1', 'b<2,a', '!a,!b', 'a=1,b!=0'];
  const FIELD_SELECTORS = ['', 'spec.nodeName=n1', 'spec.nodeName!=n1', 'metadata.namespace=blue'];

  it.each([1, 2, 3])('seed %i: every page, at every revision, is the reference page', async (seed) => {
    t = openPodsStore();
    const next = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const revisions: number[] = [];
    for (let i = 0; i < 120; i++) {
      const p: Pod = { ns: pick(['red', 'blue', 'green']), name: `p${Math.floor(next() * 25)}` };
      if (next() < 0.15) {
        await t.store.deleteRange({ key: b(podKey(p)), rangeEnd: b(''), prevKv: false });
      } else {
        const labels: Record<string, string> = {};
        if (next() < 0.6) labels.a = pick(['0', '1', '2']);
        if (next() < 0.5) labels.b = pick(['0', '1', '2', 'x']);
        await putPods([
          { ...p, ...(next() < 0.9 ? { labels } : {}), ...(next() < 0.7 ? { node: pick(['n1', 'n2']) } : {}) },
        ]);
      }
      if (i % 30 === 29) revisions.push(t.store.revision);
    }
    // The run must exercise something: multi-page answers and empty ones.
    let queries = 0;
    let pages = 0;
    let empty = 0;
    for (const revision of revisions) {
      for (const labelSelector of LABEL_SELECTORS) {
        queries++;
        const fieldSelector = pick(FIELD_SELECTORS);
        const limit = 1 + Math.floor(next() * 6);
        const all = reference(rangeReq(PODS, PODS_END, { labelSelector, fieldSelector, revision }));
        let from = PODS;
        const seen: string[] = [];
        for (let page = 0; page < 100; page++) {
          const got = rangeOf(t.store, rangeReq(from, PODS_END, { labelSelector, fieldSelector, limit, revision }));
          const rest = all.filter((kv) => kv.key.toString() >= from);
          const context = { seed, revision, labelSelector, fieldSelector, limit, from };
          expect({ ...context, keys: keys(got.kvs), count: got.count, more: got.more }).toEqual({
            ...context,
            keys: keys(rest.slice(0, limit)),
            count: rest.length,
            more: rest.length > limit,
          });
          seen.push(...keys(got.kvs));
          pages++;
          if (!got.more) break;
          from = `${got.kvs.at(-1)!.key.toString()}\0`;
        }
        expect(seen).toEqual(keys(all));
        if (all.length === 0) empty++;
      }
    }
    expect(pages).toBeGreaterThan(queries * 2);
    expect(empty).toBeLessThan(queries / 2);
  });
});

class Recorder implements WatchSink {
  readonly seen: string[] = [];
  events(_w: Watcher, events: Event[]): void {
    for (const e of events) {
      this.seen.push(`${e.type} ${e.kv.key.toString().slice(PODS.length)}${e.prevKv ? ' +prev' : ''}`);
    }
  }
  compacted(): void {
    throw new Error('not expected');
  }
}

describe('Watch with a selector', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  function watch(hub: WatchHub, opts: { start: number; label: string; prevKv: boolean }): Recorder {
    const rec = new Recorder();
    hub.add(
      new Watcher(
        1,
        {
          range: toKeyRange(b(PODS), b(PODS_END)),
          startRevision: opts.start,
          prevKv: opts.prevKv,
          filter: { noPut: false, noDelete: false },
          selector: compileSelector({ labelSelector: opts.label }),
        },
        rec,
      ),
    );
    return rec;
  }

  /** Entering, changing inside, leaving the selection, and changes that never touch it. */
  async function story(): Promise<void> {
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'web' } }]); // enters (created matching)
    await putPods([{ ns: 'blue', name: 'b', labels: { app: 'db' } }]); // never matches
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'web', v: '2' } }]); // changes, still matches
    await putPods([{ ns: 'blue', name: 'b', labels: { app: 'web' } }]); // enters by update
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'db' } }]); // leaves: old value matched
    await putPods([{ ns: 'red', name: 'a', labels: { app: 'db', v: '3' } }]); // outside, stays outside
    await t.store.deleteRange({ key: b(`${PODS}red/a`), rangeEnd: b(''), prevKv: false }); // deleted while outside
    await t.store.deleteRange({ key: b(`${PODS}blue/b`), rangeEnd: b(''), prevKv: false }); // deleted while inside
  }

  const EXPECTED = ['PUT red/a', 'PUT red/a', 'PUT blue/b', 'PUT red/a', 'DELETE blue/b'];

  it('sends what enters, changes inside or leaves the selection, live', async () => {
    t = openPodsStore();
    const hub = new WatchHub(t.store);
    try {
      const withPrev = watch(hub, { start: t.store.revision + 1, label: 'app=web', prevKv: true });
      const withoutPrev = watch(hub, { start: t.store.revision + 1, label: 'app=web', prevKv: false });
      await story();
      // The client that asked for prev_kv gets it (kube-apiserver does, to turn "left" into DELETED).
      expect(withPrev.seen).toEqual([
        'PUT red/a',
        'PUT red/a +prev',
        'PUT blue/b +prev',
        'PUT red/a +prev',
        'DELETE blue/b +prev',
      ]);
      expect(withoutPrev.seen).toEqual(EXPECTED);
    } finally {
      hub.close();
    }
  });

  it('sends the same events when catching up from history', async () => {
    t = openPodsStore();
    const hub = new WatchHub(t.store);
    try {
      const start = t.store.revision + 1;
      await story();
      const rec = watch(hub, { start, label: 'app=web', prevKv: false });
      for (let i = 0; i < 5 && rec.seen.length < EXPECTED.length; i++) await tick();
      expect(rec.seen).toEqual(EXPECTED);
      // `!=` selects objects without the label: a pod with no labels is seen.
      const none = watch(hub, { start, label: 'app!=web', prevKv: false });
      await putPods([{ ns: 'green', name: 'c' }]);
      for (let i = 0; i < 5 && none.seen.length < 6; i++) await tick();
      // Created without matching, never matched, stopped matching before its delete: left out.
      expect(none.seen).toEqual(['PUT blue/b', 'PUT blue/b', 'PUT red/a', 'PUT red/a', 'DELETE red/a', 'PUT green/c']);
    } finally {
      hub.close();
    }
  });
});
