/**
 * How ResourceClient reads a watch stream, against a loopback HTTP server
 * that frames and cuts it on cue (kept for that fault injection only): one
 * event split across chunks and two in one chunk, bookmarks, an ERROR event
 * on a stream the server leaves open, a stream that never sends anything.
 * Lists, errors, the status subresource, an Informer and the Lease lock are
 * tested against a real kube-apiserver in resource-client.live.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGone } from './errors.js';
import type { WatchEvent } from './list-watch.js';
import { ResourceClient } from './resource-client.js';
import { TEST_KINDS } from './testing.js';

const { users: USERS } = TEST_KINDS;

const requests: Array<{ method: string; url: URL; auth?: string; contentType?: string; body: string }> = [];
const openWatches = new Set<http.ServerResponse>();
let server: http.Server;
let kc: KubeConfig;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A watch event of a User in namespace t-1, as the apiserver writes it. */
function userEvent(type: string, metadata: { name: string; resourceVersion: string }, fields = {}): string {
  const object = { apiVersion: 'example.dev/v1', kind: 'User', metadata: { ...metadata, namespace: 't-1' }, ...fields };
  return JSON.stringify({ type, object });
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
    const added = userEvent('ADDED', { name: 'c', resourceVersion: '201' });
    const modified = userEvent('MODIFIED', { name: 'a', resourceVersion: '202' }, { spec: { x: 1 } });
    const bookmark = JSON.stringify({
      type: 'BOOKMARK',
      object: { kind: 'User', apiVersion: 'example.dev/v1', metadata: { resourceVersion: '250' } },
    });
    // One event split over two writes, two in one write: the client must frame by newline, not by chunk.
    res.write(`${added}\n${modified.slice(0, 20)}`);
    setTimeout(() => {
      res.write(`${modified.slice(20)}\n${bookmark}\n`);
      res.end();
    }, 10);
    return;
  }
  json(res, 500, { message: `unexpected ${req.method} ${p}` });
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
    expect(requests[0]?.auth).toBe('Bearer test-token');
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
});
