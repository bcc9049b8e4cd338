/**
 * ResourceClient against a real loopback HTTP server that speaks the
 * apiserver's list/watch wire protocol (paged JSON lists, newline-delimited
 * watch events, Status bodies). The full behaviour against a real
 * kube-apiserver is covered by the later integration suite.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, isGone, isNotFound } from './errors.js';
import { silentLog } from './testing.js';
import { Informer } from './informer.js';
import { kubeLeaseLock } from './lease-lock.js';
import type { WatchEvent } from './list-watch.js';
import { ResourceClient } from './resource-client.js';
import type { ResourceRef } from './resource.js';

const USERS: ResourceRef = {
  group: 'example.dev',
  version: 'v1',
  plural: 'users',
  kind: 'User',
  namespaced: true,
};
const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};

const requests: Array<{ method: string; url: URL; auth?: string; contentType?: string; body: string }> = [];
const openWatches = new Set<http.ServerResponse>();
let server: http.Server;
let kc: KubeConfig;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({
    method: req.method ?? '',
    url,
    auth: req.headers.authorization,
    contentType: req.headers['content-type'],
    body,
  });
  const p = url.pathname;
  const q = url.searchParams;
  if (p === '/apis/example.dev/v1/namespaces/t-1/users' && q.get('watch') === 'true') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    openWatches.add(res);
    res.on('close', () => openWatches.delete(res));
    const rv = q.get('resourceVersion');
    if (rv === 'old') {
      res.write(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 1 (200)' } })}\n`,
      );
      return; // the apiserver closes after an ERROR; leaving it open checks that the client does not wait for that
    }
    if (rv === 'hang') return; // never sends anything
    const added = JSON.stringify({
      type: 'ADDED',
      object: {
        apiVersion: 'example.dev/v1',
        kind: 'User',
        metadata: { name: 'c', namespace: 't-1', resourceVersion: '201' },
      },
    });
    const modified = JSON.stringify({
      type: 'MODIFIED',
      object: {
        apiVersion: 'example.dev/v1',
        kind: 'User',
        metadata: { name: 'a', namespace: 't-1', resourceVersion: '202' },
        spec: { x: 1 },
      },
    });
    const bookmark = JSON.stringify({
      type: 'BOOKMARK',
      object: { kind: 'User', apiVersion: 'example.dev/v1', metadata: { resourceVersion: '250' } },
    });
    // One event split over two writes, two in one write: the client must frame by newline, not by chunk.
    res.write(`${added}\n${modified.slice(0, 20)}`);
    setTimeout(() => {
      res.write(`${modified.slice(20)}\n${bookmark}\n`);
      if (rv !== 'stay-open') res.end();
    }, 10);
    return;
  }
  if (p === '/apis/example.dev/v1/namespaces/t-1/users' && req.method === 'GET') {
    // Two pages; items without apiVersion/kind like built-in lists.
    if (!q.get('continue')) {
      return json(res, 200, {
        kind: 'UserList',
        metadata: { resourceVersion: '200', continue: 'page-2' },
        items: [{ metadata: { name: 'a', namespace: 't-1', resourceVersion: '150' } }],
      });
    }
    return json(res, 200, {
      kind: 'UserList',
      metadata: { resourceVersion: '200' },
      items: [{ metadata: { name: 'b', namespace: 't-1', resourceVersion: '160' } }],
    });
  }
  if (p === '/api/v1/namespaces/missing') {
    return json(res, 404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'namespaces "missing" not found',
    });
  }
  if (p === '/apis/example.dev/v1/namespaces/t-1/users/a/status' && req.method === 'PATCH') {
    return json(res, 200, {
      metadata: { name: 'a', namespace: 't-1', resourceVersion: '300' },
      status: JSON.parse(body).status,
    });
  }
  if (p === '/apis/example.dev/v1/namespaces/t-1/users/a' && req.method === 'PATCH') {
    return json(res, 409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' });
  }
  if (p.startsWith('/apis/coordination.k8s.io/v1/namespaces/example-system/leases'))
    return leaseHandler(req, res, body);
  json(res, 500, { message: `unexpected ${req.method} ${p}` });
}

/** One Lease with the apiserver's create / get / replace-with-resourceVersion rules. */
let lease: (KubernetesObject & { spec?: Record<string, unknown> }) | undefined;
let leaseRv = 10;
function leaseHandler(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const p = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'GET' && p.endsWith('/leases/widget-operator')) {
    return lease
      ? json(res, 200, lease)
      : json(res, 404, {
          kind: 'Status',
          code: 404,
          reason: 'NotFound',
          message: 'leases.coordination.k8s.io "widget-operator" not found',
        });
  }
  const obj = JSON.parse(body) as KubernetesObject & { spec?: Record<string, unknown> };
  if (req.method === 'POST' && p.endsWith('/leases')) {
    if (lease) return json(res, 409, { kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'already exists' });
    lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++leaseRv), uid: 'lease-uid' } };
    return json(res, 201, lease);
  }
  if (req.method === 'PUT' && p.endsWith('/leases/widget-operator')) {
    if (obj.metadata?.resourceVersion !== lease?.metadata?.resourceVersion) {
      return json(res, 409, {
        kind: 'Status',
        code: 409,
        reason: 'Conflict',
        message: 'the object has been modified; please apply your changes to the latest version and try again',
      });
    }
    lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++leaseRv) } };
    return json(res, 200, lease);
  }
  json(res, 405, { message: 'method not allowed' });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    // http:// needs skipTLSVerify in client-node 1.4.0 (config.createAgent).
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
});

afterAll(async () => {
  for (const res of openWatches) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('ResourceClient over HTTP', () => {
  it('lists every page, sends the token and selectors, and fills in apiVersion/kind', async () => {
    requests.length = 0;
    const client = new ResourceClient(kc, USERS, { namespace: 't-1', labelSelector: 'app=x', pageSize: 1 });
    const list = await client.list();
    expect(list.metadata?.resourceVersion).toBe('200');
    expect(list.items.map((i) => [i.metadata?.name, i.apiVersion, i.kind])).toEqual([
      ['a', 'example.dev/v1', 'User'],
      ['b', 'example.dev/v1', 'User'],
    ]);
    expect(requests.map((r) => r.url.search)).toEqual([
      '?labelSelector=app%3Dx&limit=1',
      '?labelSelector=app%3Dx&limit=1&continue=page-2',
    ]);
    expect(requests[0]?.auth).toBe('Bearer test-token');
  });

  it('streams watch events framed by newline, with bookmarks and the watch parameters', async () => {
    requests.length = 0;
    const client = new ResourceClient(kc, USERS, { namespace: 't-1' });
    const events: WatchEvent<KubernetesObject>[] = [];
    const handle = client.watch({ resourceVersion: '200', timeoutSeconds: 42, allowWatchBookmarks: true }, (e) =>
      events.push(e),
    );
    await handle.done;
    expect(
      events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''} ${e.object.metadata?.resourceVersion}`),
    ).toEqual(['ADDED c 201', 'MODIFIED a 202', 'BOOKMARK  250']);
    const q = requests[0]?.url.searchParams;
    expect([
      q?.get('watch'),
      q?.get('resourceVersion'),
      q?.get('timeoutSeconds'),
      q?.get('allowWatchBookmarks'),
    ]).toEqual(['true', '200', '42', 'true']);
  });

  it('rejects a watch with 410 on an ERROR event, without waiting for the server to close', async () => {
    const client = new ResourceClient(kc, USERS, { namespace: 't-1' });
    const err = await client.watch({ resourceVersion: 'old' }, () => undefined).done.catch((e: unknown) => e);
    expect(isGone(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/too old resource version/);
  });

  it('aborts a watch that has not sent anything yet', async () => {
    const client = new ResourceClient(kc, USERS, { namespace: 't-1' });
    const handle = client.watch({ resourceVersion: 'hang' }, () => undefined);
    await new Promise((r) => setTimeout(r, 20));
    handle.abort();
    await expect(handle.done).resolves.toBeUndefined();
  });

  it('throws ApiException with the Status message on errors', async () => {
    const err = await new ResourceClient(kc, NAMESPACES).get({ name: 'missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect(isNotFound(err)).toBe(true);
    expect((err as Error).message).toMatch(/namespaces "missing" not found/);
    const conflict = await new ResourceClient(kc, USERS)
      .jsonPatch({ namespace: 't-1', name: 'a' }, [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }])
      .catch((e: unknown) => e);
    expect(httpStatusOf(conflict)).toBe(409);
    expect(requests.at(-1)?.contentType).toBe('application/json-patch+json');
  });

  it('merge-patches the status subresource', async () => {
    const out = await new ResourceClient<KubernetesObject & { status?: unknown }>(kc, USERS).mergePatch(
      { namespace: 't-1', name: 'a' },
      { status: { ready: true } },
      { subresource: 'status' },
    );
    expect(out.status).toEqual({ ready: true });
    expect(requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(requests.at(-1)?.url.pathname).toBe('/apis/example.dev/v1/namespaces/t-1/users/a/status');
  });

  it('an Informer on it lists, syncs and applies watch events', async () => {
    const informer = new Informer({
      resource: USERS,
      listerWatcher: new ResourceClient(kc, USERS, { namespace: 't-1' }),
      log: silentLog,
      resyncPeriodMs: 0,
    });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await expect
      .poll(() =>
        informer.store
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
      )
      .toEqual(['a', 'b', 'c']);
    await expect.poll(() => informer.store.get('t-1/a')?.metadata?.resourceVersion).toBe('202');
    await informer.stop();
  });
});

describe('kubeLeaseLock over HTTP', () => {
  it('creates, reads and replaces the Lease with resourceVersion, sending MicroTimes', async () => {
    const lock = kubeLeaseLock(kc, { namespace: 'example-system', name: 'widget-operator' });
    const signal = new AbortController().signal;
    expect(await lock.get(signal)).toBeUndefined();
    const t = Date.parse('2025-01-01T00:00:00.123Z');
    const created = await lock.create(
      { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 },
      signal,
    );
    expect(lease?.spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2025-01-01T00:00:00.123000Z',
      renewTime: '2025-01-01T00:00:00.123000Z',
      leaseTransitions: 0,
    });
    expect(lease?.metadata?.name).toBe('widget-operator');

    const read = await lock.get(signal);
    expect(read).toEqual(created);
    expect(read?.record).toMatchObject({ holderIdentity: 'a', renewTime: t });

    const stale = await lock
      .update({ ...created.record, renewTime: t + 2000 }, { resourceVersion: '1', signal })
      .catch((e: unknown) => e);
    expect(httpStatusOf(stale)).toBe(409);
    const renewed = await lock.update(
      { ...created.record, renewTime: t + 2000 },
      { resourceVersion: created.resourceVersion, signal },
    );
    expect(Number(renewed.resourceVersion)).toBeGreaterThan(Number(created.resourceVersion));
    expect(lease?.spec?.['renewTime']).toBe('2025-01-01T00:00:02.123000Z');
    // The replace kept the metadata it read (uid), as client-go's LeaseLock does.
    expect(lease?.metadata?.uid).toBe('lease-uid');
  });
});
