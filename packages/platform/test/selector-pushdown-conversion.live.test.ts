/**
 * Selector push-down for a custom resource served in more than one version
 * (scripts/k8s/pushdown/README.md, "Limits"). kube-apiserver matches a LIST's
 * or WATCH's selectors against the object converted to the request's
 * version; the store only sees the stored bytes, in the version they were
 * written in.
 *
 * - Widgets convert through a real HTTPS conversion webhook served here, which
 *   multiplies `spec.size` and the `size` label by 10 from v1 (storage) to
 *   v2. A v2 selector such as `size=30` matches nothing in v1 terms, so a
 *   store filtering the stored v1 bytes would leave out the match:
 *   kube-apiserver-pushdown must send it no selectors and filter itself.
 * - Gadgets have two versions with conversion `None` (only apiVersion
 *   differs), so a v2 request is still pushed down, and answered right.
 *
 * The oracle is a second control plane on the plain kube-apiserver, whose
 * in-memory filtering is what every answer is compared with.
 *
 * Skipped, saying why, when kube-apiserver-pushdown has not been built.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeClient } from '@cnpaas/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../src/pki.js';
import { startControlPlane, type TestControlPlane, widgetCrd } from '../src/testing/index.js';
import { listCounters, listNames, pushdownBinaryMissing } from './support/pushdown.js';

const missing = pushdownBinaryMissing();
if (missing) console.warn(`skipping the CRD conversion push-down test: ${missing}`);

const GROUP = 'conversion.pushdown.example.dev';
const WIDGETS = { group: GROUP, resource: 'widgets' };
const GADGETS = { group: GROUP, resource: 'gadgets' };
const at = (version: string, resource: string) => `/apis/${GROUP}/${version}/namespaces/default/${resource}`;

const COUNT = 12;
const COLORS = ['red', 'green', 'blue'];
/** w-01 … w-12 (and g-01 … g-12): size i, its `size` label the same number, a colour in spec and label. */
function object(kind: 'Widget' | 'Gadget', i: number) {
  const color = COLORS[i % 3]!;
  return {
    apiVersion: `${GROUP}/v1`,
    kind,
    metadata: { name: `${kind[0]!.toLowerCase()}-${String(i).padStart(2, '0')}`, labels: { size: String(i), color } },
    spec: { size: i, color },
  };
}

type Conversion = { strategy: 'None' } | { strategy: 'Webhook'; webhook: Record<string, unknown> };

/** v1 (storage) and v2, the same schema and selectable fields in both. */
function crd(kind: 'Widget' | 'Gadget', conversion: Conversion) {
  return widgetCrd({
    group: GROUP,
    kind,
    versions: ['v1', 'v2'],
    status: false,
    schema: {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } },
      },
    },
    selectableFields: [{ jsonPath: '.spec.size' }, { jsonPath: '.spec.color' }],
    conversion,
  });
}

interface ConvertedObject {
  apiVersion: string;
  metadata: { labels?: Record<string, string> };
  spec?: { size?: number };
}

/** v1 → v2 multiplies size (field and label) by 10, v2 → v1 divides: a value that differs between versions. */
function convert(object: ConvertedObject, desiredAPIVersion: string): ConvertedObject {
  const from = object.apiVersion.split('/')[1];
  const to = desiredAPIVersion.split('/')[1];
  const factor = from === to ? 1 : to === 'v2' ? 10 : 0.1;
  const scale = (n: number) => Math.round(n * factor);
  const out = structuredClone(object);
  out.apiVersion = desiredAPIVersion;
  if (typeof out.spec?.size === 'number') out.spec.size = scale(out.spec.size);
  const label = out.metadata.labels?.size;
  if (label !== undefined) out.metadata.labels!.size = String(scale(Number(label)));
  return out;
}

/**
 * The conversion webhook, HTTPS on a free loopback port with its own CA.
 * It does not authenticate its caller: kube-apiserver presents no credential
 * to a conversion webhook (apiextensions-apiserver builds its client from an
 * empty kubeconfig), and it listens on 127.0.0.1 only for this test.
 */
async function startConversionWebhook(dir: string) {
  const ca = await CertificateAuthority.loadOrCreate(dir, 'conversion-ca', 'conversion webhook test CA');
  const leaf = await ca.issue(dir, {
    name: 'conversion-webhook',
    commonName: 'conversion-webhook',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  let reviews = 0;
  const answer = (body: string): string => {
    const review = JSON.parse(body) as {
      request: { uid: string; desiredAPIVersion: string; objects: ConvertedObject[] };
    };
    reviews += 1;
    const { uid, desiredAPIVersion, objects } = review.request;
    return JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      response: {
        uid,
        result: { status: 'Success' },
        convertedObjects: objects.map((o) => convert(o, desiredAPIVersion)),
      },
    });
  };
  const server: Server = createServer({ key: readFileSync(leaf.key), cert: readFileSync(leaf.cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(answer(Buffer.concat(chunks).toString('utf8')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    conversion: {
      strategy: 'Webhook' as const,
      webhook: {
        conversionReviewVersions: ['v1'],
        clientConfig: {
          url: `https://127.0.0.1:${port}/convert`,
          caBundle: readFileSync(ca.files.cert).toString('base64'),
        },
      },
    },
    reviews: () => reviews,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Query = Record<string, string | number>;

/** Names a v2 WATCH from a v2 LIST's revision reports while `change` runs, each as `TYPE name`. */
async function watchEvents(
  client: KubeClient,
  query: Query,
  change: () => Promise<void>,
  expected: number,
): Promise<string[]> {
  const resource = at('v2', 'widgets');
  const list: { metadata: { resourceVersion: string } } = await client.json({ method: 'GET', path: resource, query });
  const seen: string[] = [];
  const handle = client.watch<{ metadata: { name: string } }>(
    { path: resource, query: { ...query, resourceVersion: list.metadata.resourceVersion }, idleTimeoutMs: 60_000 },
    (e) => seen.push(`${e.type} ${e.object.metadata.name}`),
  );
  try {
    await change();
    const deadline = Date.now() + 20_000;
    while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // room for an event that should not come
  } finally {
    handle.abort();
    await handle.done.catch(() => {});
  }
  return seen;
}

describe.skipIf(missing !== undefined)('selector push-down and CRD versions', () => {
  let dir: string;
  let webhook: Awaited<ReturnType<typeof startConversionWebhook>>;
  let plain: TestControlPlane;
  let pushdown: TestControlPlane;
  let oracle: KubeClient;
  let pushed: KubeClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-conversion-'));
    webhook = await startConversionWebhook(dir);
    const crds = [crd('Widget', webhook.conversion), crd('Gadget', { strategy: 'None' })];
    [plain, pushdown] = await Promise.all([
      // The oracle: the watch cache off too, so both sides read storage on every LIST.
      startControlPlane({ crds, apiserverArgs: ['--watch-cache=false'] }),
      startControlPlane({ crds, selectorPushdown: true }),
    ]);
    oracle = new KubeClient(plain.kubeConfig);
    pushed = new KubeClient(pushdown.kubeConfig);
    // Written in v1, the storage version: the stored bytes hold the v1 values.
    for (let i = 1; i <= COUNT; i++) {
      for (const client of [oracle, pushed]) {
        await client.json({ method: 'POST', path: at('v1', 'widgets'), body: object('Widget', i) });
        await client.json({ method: 'POST', path: at('v1', 'gadgets'), body: object('Gadget', i) });
      }
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), pushdown?.stop()]);
    await webhook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with a conversion webhook, a v2 LIST by v2 values answers as kube-apiserver does in memory', async () => {
    const resource = at('v2', 'widgets');
    const cases: Array<{ query: Query; want: string[] }> = [
      { query: { fieldSelector: 'spec.size=30' }, want: ['w-03'] },
      { query: { labelSelector: 'size=30' }, want: ['w-03'] },
      { query: { labelSelector: 'size in (10,20,120)' }, want: ['w-01', 'w-02', 'w-12'] },
      { query: { labelSelector: 'size>95' }, want: ['w-10', 'w-11', 'w-12'] },
      { query: { labelSelector: 'size>75', fieldSelector: 'spec.color=red' }, want: ['w-09', 'w-12'] },
      { query: { labelSelector: 'color=green', fieldSelector: 'spec.size!=10' }, want: ['w-04', 'w-07', 'w-10'] },
    ];
    const reviewsBefore = webhook.reviews();
    const before = await listCounters(pushed, WIDGETS);
    for (const { query, want } of cases) {
      // The expected set is the v2 one, and kube-apiserver's own filtering agrees with it.
      expect(await listNames(oracle, resource, query), `oracle ${JSON.stringify(query)}`).toEqual(want);
      expect(await listNames(pushed, resource, query), JSON.stringify(query)).toEqual(want);
      expect(await listNames(pushed, resource, { ...query, limit: 2 }), `${JSON.stringify(query)} in pages`).toEqual(
        want,
      );
    }
    // The answers came through the webhook, and kube-apiserver-pushdown filtered them itself:
    // it fetched every widget for each LIST and returned only the matches.
    expect(webhook.reviews()).toBeGreaterThan(reviewsBefore);
    const after = await listCounters(pushed, WIDGETS);
    const wholeLists = cases.length;
    expect(after.fetched - before.fetched).toBeGreaterThanOrEqual(wholeLists * COUNT);
    expect(after.returned - before.returned).toBeLessThan(after.fetched - before.fetched);
  });

  it('with a conversion webhook, a v2 WATCH by v2 values sees an object enter and leave its selection', async () => {
    // A merge patch in v1: the stored bytes get the v1 values, the webhook is not asked.
    const resize = async (client: KubeClient, name: string, size: number) => {
      const res = await client.request('PATCH', `${at('v1', 'widgets')}/${name}`, {
        body: { metadata: { labels: { size: String(size) } }, spec: { size } },
      });
      expect(res.status, `PATCH ${name}: ${JSON.stringify(res.body)}`).toBe(200);
    };
    const queries: Query[] = [{ labelSelector: 'size=30' }, { fieldSelector: 'spec.size=30' }];
    for (const query of queries) {
      const events = (client: KubeClient) =>
        watchEvents(
          client,
          query,
          async () => {
            await resize(client, 'w-05', 3); // v2 size 50 → 30: enters the selection
            await resize(client, 'w-06', 7); // 60 → 70: never in it, no event
            await resize(client, 'w-05', 5); // 30 → 50: leaves it
            await resize(client, 'w-06', 6);
          },
          2,
        );
      const want = ['ADDED w-05', 'DELETED w-05'];
      expect(await events(oracle), `oracle ${JSON.stringify(query)}`).toEqual(want);
      expect(await events(pushed), JSON.stringify(query)).toEqual(want);
    }
  });

  it('with conversion None, a v2 LIST is pushed down to the store and answered right', async () => {
    const resource = at('v2', 'gadgets');
    const cases: Array<{ query: Query; want: string[] }> = [
      { query: { fieldSelector: 'spec.size=3' }, want: ['g-03'] },
      { query: { labelSelector: 'size in (1,2,12)' }, want: ['g-01', 'g-02', 'g-12'] },
      { query: { labelSelector: 'size>9', fieldSelector: 'spec.color=red' }, want: ['g-12'] },
      { query: { labelSelector: 'color=green', fieldSelector: 'spec.size!=1' }, want: ['g-04', 'g-07', 'g-10'] },
    ];
    const before = await listCounters(pushed, GADGETS);
    let returned = 0;
    for (const { query, want } of cases) {
      expect(await listNames(oracle, resource, query), `oracle ${JSON.stringify(query)}`).toEqual(want);
      expect(await listNames(pushed, resource, query), JSON.stringify(query)).toEqual(want);
      expect(await listNames(pushed, resource, { ...query, limit: 2 }), `${JSON.stringify(query)} in pages`).toEqual(
        want,
      );
      returned += 2 * want.length;
    }
    // The store did the filtering: kube-apiserver-pushdown fetched only what it returned.
    const after = await listCounters(pushed, GADGETS);
    expect(after.returned - before.returned).toBe(returned);
    expect(after.fetched - before.fetched).toBe(returned);
  });
});
