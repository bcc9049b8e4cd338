/**
 * Selector push-down, end to end (scripts/k8s/pushdown/README.md): the same
 * objects in two control planes, one on the plain kube-apiserver (which
 * filters every LIST and WATCH in memory: the oracle) and one on
 * kube-apiserver-pushdown (which sends the selectors to cnpaas-store, which
 * filters in the database). Every LIST, whole or page by page, and a WATCH
 * whose object stops and starts matching, must answer the same on both.
 * kube-apiserver's own storage metrics then show the store did the
 * filtering: on the push-down side every object it fetched was returned.
 *
 * Skipped, saying why, when kube-apiserver-pushdown has not been built
 * (`bash scripts/k8s/build.sh --pushdown`; CI builds it).
 */
import { KubeClient } from '@cnpaas/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane, widgetCrd } from '../src/testing/index.js';
import { listCounters, listNames, pushdownBinaryMissing } from './support/pushdown.js';

const missing = pushdownBinaryMissing();
if (missing) console.warn(`skipping the selector push-down test: ${missing}`);

const GROUP = 'pushdown.example.dev';
const RESOURCE = `/apis/${GROUP}/v1/namespaces/default/widgets`;
const CRD = widgetCrd({
  group: GROUP,
  status: false,
  selectableFields: [{ jsonPath: '.spec.color' }],
  schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } } },
});

const COUNT = 48;
const COLORS = ['red', 'green', 'blue'];
const TIERS = ['web', 'db', 'cache'];
/** Labels chosen so that every operator has objects on both sides, and some objects lack a label entirely. */
function widget(i: number) {
  const labels: Record<string, string> = { tier: TIERS[i % 3]!, version: String(i % 7) };
  if (i % 2 === 0) labels.env = 'prod';
  if (i % 5 === 0) delete labels.tier;
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'Widget',
    metadata: { name: `w-${String(i).padStart(2, '0')}`, labels },
    spec: { color: COLORS[i % 4] ?? 'none' },
  };
}

const LABEL_SELECTORS = [
  'tier=web',
  'tier==db',
  'tier!=web',
  'tier in (web,db)',
  'tier notin (web)',
  'tier',
  '!tier',
  'env',
  '!env',
  'env=prod,tier=db',
  'env!=prod',
  'version>3',
  'version<2,tier=cache',
  'tier=nothing',
];
const FIELD_SELECTORS = [
  'metadata.name=w-07',
  'metadata.name!=w-07',
  'metadata.namespace=default',
  'spec.color=red',
  'spec.color!=red',
  'spec.color=none,metadata.name!=w-03',
];

interface WidgetList {
  metadata: { continue?: string; resourceVersion: string };
  items: Array<{ metadata: { name: string } }>;
}

const names = (client: KubeClient, query: Record<string, string | number>) => listNames(client, RESOURCE, query);
const WIDGETS = { group: GROUP, resource: 'widgets' };

describe.skipIf(missing !== undefined)('selector push-down through kube-apiserver-pushdown', () => {
  let plain: TestControlPlane;
  let pushdown: TestControlPlane;
  let oracle: KubeClient;
  let pushed: KubeClient;

  beforeAll(async () => {
    [plain, pushdown] = await Promise.all([
      // The oracle: the watch cache off too, so both sides read storage on every LIST.
      startControlPlane({ crds: [CRD], apiserverArgs: ['--watch-cache=false'] }),
      startControlPlane({ crds: [CRD], selectorPushdown: true }),
    ]);
    oracle = new KubeClient(plain.kubeConfig);
    pushed = new KubeClient(pushdown.kubeConfig);
    for (let i = 0; i < COUNT; i++) {
      for (const client of [oracle, pushed]) await client.json({ method: 'POST', path: RESOURCE, body: widget(i) });
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), pushdown?.stop()]);
  });

  it('answers every label and field selector as kube-apiserver does in memory, whole and in pages of 5', async () => {
    const cases = [
      ...LABEL_SELECTORS.map((s) => ({ labelSelector: s })),
      ...FIELD_SELECTORS.map((s) => ({ fieldSelector: s })),
      { labelSelector: 'tier in (web,cache)', fieldSelector: 'spec.color!=blue' },
    ];
    let nonEmpty = 0;
    for (const query of cases) {
      const want = await names(oracle, query);
      expect(await names(pushed, query), JSON.stringify(query)).toEqual(want);
      expect(await names(pushed, { ...query, limit: 5 }), `${JSON.stringify(query)} in pages`).toEqual(want);
      if (want.length > 0 && want.length < COUNT) nonEmpty += 1;
    }
    // The comparison is not vacuous: most selectors pick some objects and leave others.
    expect(nonEmpty).toBeGreaterThanOrEqual(cases.length - 3);
  });

  it('left the filtering to the store: kube-apiserver-pushdown fetched only what it returned', async () => {
    await names(oracle, { labelSelector: 'tier=web' });
    await names(pushed, { labelSelector: 'tier=web' });
    const [o, p] = [await listCounters(oracle, WIDGETS), await listCounters(pushed, WIDGETS)];
    expect(o.fetched, 'the plain kube-apiserver reads every object and filters').toBeGreaterThan(o.returned);
    expect(p.returned).toBeGreaterThan(0);
    expect(p.fetched, 'the push-down kube-apiserver reads only matching objects').toBe(p.returned);
  });

  it('watches by selector the same: an object that stops matching is DELETED, and ADDED when it matches again', async () => {
    const events = async (client: KubeClient) => {
      const list: WidgetList = await client.json({
        method: 'GET',
        path: RESOURCE,
        query: { labelSelector: 'tier=web' },
      });
      const seen: string[] = [];
      const handle = client.watch<{ metadata: { name: string; labels?: Record<string, string> } }>(
        {
          path: RESOURCE,
          query: { labelSelector: 'tier=web', resourceVersion: list.metadata.resourceVersion },
          idleTimeoutMs: 60_000,
        },
        (e) => seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.labels?.tier ?? '-'}`),
      );
      const patch = (name: string, tier: string) =>
        client.request('PATCH', `${RESOURCE}/${name}`, { body: { metadata: { labels: { tier } } } });
      // widget(i) has tier TIERS[i % 3]: w-03 web, w-02 cache, w-04 db.
      await patch('w-03', 'db'); // web → db: leaves the selection
      await patch('w-02', 'web'); // cache → web: enters it
      await patch('w-02', 'cache'); // and leaves again
      await patch('w-03', 'web'); // back in
      await patch('w-04', 'cache'); // never in it: no event
      const deadline = Date.now() + 20_000;
      while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500)); // room for an event that should not come
      handle.abort();
      await handle.done.catch(() => {});
      return seen;
    };
    const want = await events(oracle);
    const typeAndName = (e: string) => e.split(' ').slice(0, 2).join(' ');
    expect(want.map(typeAndName)).toEqual(['DELETED w-03', 'ADDED w-02', 'DELETED w-02', 'ADDED w-03']);
    expect(await events(pushed)).toEqual(want);
  });
});
