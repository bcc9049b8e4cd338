import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessServer } from '../../test/support/in-process-server.js';
import type { GrpcImpl } from '../server/lean/lean-paths.js';
import { loadEtcdProtos } from '../server/proto.js';

/**
 * Selector push-down through the gRPC surface, on both implementations
 * (grpc-js and the lean node:http2 path): a client that sets the extra
 * fields gets filtered answers and events, a bad selector is refused, and a
 * client that does not set them gets the same bytes as before.
 */

const pkg = loadEtcdProtos().etcdserverpb;
const b = (s: string) => Buffer.from(s);
const pod = (name: string, labels: Record<string, string>) =>
  b(JSON.stringify({ kind: 'Pod', metadata: { name, namespace: 'default', labels } }));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

async function start(impl: GrpcImpl, ignoreSelectors = false): Promise<{ kv: Client; watch: Client }> {
  const running = await startInProcessServer({
    impl,
    ignoreSelectors,
    maxRequestBytes: 1024 * 1024,
    maxWatchesPerConnection: 100,
  });
  const address = running.urls[0]!.replace('http://', '');
  const kv = new pkg.KV(address, grpc.credentials.createInsecure()) as unknown as Client;
  const watch = new pkg.Watch(address, grpc.credentials.createInsecure()) as unknown as Client;
  cleanups.push(async () => {
    kv.close();
    watch.close();
    await running.close();
    await running.release();
  });
  return { kv, watch };
}

function unary<T>(client: Client, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

interface RangeReply {
  kvs: Array<{ key: Buffer }>;
  count: string;
  more: boolean;
}

describe.each<GrpcImpl>(['grpc-js', 'lean'])('selector push-down over gRPC (%s)', (impl) => {
  it('filters Range, refuses a bad selector, and leaves requests without one alone', async () => {
    const { kv } = await start(impl);
    await unary(kv, 'Put', { key: b('/registry/pods/default/a'), value: pod('a', { app: 'web' }) });
    await unary(kv, 'Put', { key: b('/registry/pods/default/b'), value: pod('b', { app: 'db' }) });
    await unary(kv, 'Put', { key: b('/registry/pods/default/c'), value: pod('c', {}) });
    const range = { key: b('/registry/pods/'), range_end: b('/registry/pods0') };

    const web = await unary<RangeReply>(kv, 'Range', { ...range, labelSelector: 'app=web' });
    expect(web.kvs.map((x) => x.key.toString())).toEqual(['/registry/pods/default/a']);
    expect(web.count).toBe('1');

    const notWeb = await unary<RangeReply>(kv, 'Range', { ...range, labelSelector: 'app!=web', limit: 1 });
    expect(notWeb.kvs.map((x) => x.key.toString())).toEqual(['/registry/pods/default/b']);
    expect(notWeb).toMatchObject({ count: '2', more: true });

    const byName = await unary<RangeReply>(kv, 'Range', { ...range, fieldSelector: 'metadata.name=c' });
    expect(byName.kvs.map((x) => x.key.toString())).toEqual(['/registry/pods/default/c']);

    const bad = unary(kv, 'Range', { ...range, fieldSelector: 'metadata.name' });
    await expect(bad).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining(
        `CNPAAS_STORE_BAD_SELECTOR: invalid field selector "metadata.name": can't understand 'metadata.name'`,
      ) as unknown,
    });

    const all = await unary<RangeReply>(kv, 'Range', range);
    expect(all.count).toBe('3');
  });

  it('filters Watch events and cancels a watch with a bad selector, naming it', async () => {
    const { kv, watch } = await start(impl);
    const stream = (watch.Watch as () => grpc.ClientDuplexStream<object, Record<string, unknown>>)();
    cleanups.push(() => {
      stream.cancel();
    });
    stream.on('error', () => {});
    const replies: Array<Record<string, unknown>> = [];
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && replies.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(replies.length).toBeGreaterThanOrEqual(n);
    };
    stream.on('data', (m: Record<string, unknown>) => replies.push(m));
    const range = { key: b('/registry/pods/'), range_end: b('/registry/pods0') };
    stream.write({ create_request: { ...range, labelSelector: 'app in web' } });
    await waitFor(1);
    expect(replies[0]).toMatchObject({ created: true, canceled: true });
    expect(String(replies[0]!.cancel_reason)).toContain(
      `CNPAAS_STORE_BAD_SELECTOR: invalid label selector "app in web"`,
    );

    stream.write({ create_request: { ...range, labelSelector: 'app=web', prev_kv: true } });
    await waitFor(2);
    expect(replies[1]).toMatchObject({ created: true, canceled: false });
    await unary(kv, 'Put', { key: b('/registry/pods/default/b'), value: pod('b', { app: 'db' }) });
    await unary(kv, 'Put', { key: b('/registry/pods/default/a'), value: pod('a', { app: 'web' }) });
    await unary(kv, 'Put', { key: b('/registry/pods/default/a'), value: pod('a', { app: 'db' }) });
    await waitFor(4);
    const events = replies
      .slice(2)
      .flatMap((r) => r.events as Array<{ kv: { key: Buffer; value: Buffer }; prev_kv?: { value: Buffer } }>);
    expect(events.map((e) => e.kv.key.toString())).toEqual(['/registry/pods/default/a', '/registry/pods/default/a']);
    // The second event is the object leaving the selection: its prev_kv still matches.
    expect(JSON.parse(events[1]!.prev_kv!.value.toString())).toMatchObject({ metadata: { labels: { app: 'web' } } });
  });
  it('ignores the selector fields with --selector-pushdown=off, as etcd does', async () => {
    const { kv, watch } = await start(impl, true);
    const range = { key: b('/registry/pods/'), range_end: b('/registry/pods0') };
    const stream = (watch.Watch as () => grpc.ClientDuplexStream<object, Record<string, unknown>>)();
    cleanups.push(() => {
      stream.cancel();
    });
    stream.on('error', () => {});
    const replies: Array<Record<string, unknown>> = [];
    stream.on('data', (m: Record<string, unknown>) => replies.push(m));
    // Not even a bad selector is looked at.
    stream.write({ create_request: { ...range, labelSelector: 'app in web' } });
    for (let i = 0; i < 200 && replies.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies[0]).toMatchObject({ created: true, canceled: false });
    await unary(kv, 'Put', { key: b('/registry/pods/default/a'), value: pod('a', { app: 'web' }) });
    await unary(kv, 'Put', { key: b('/registry/pods/default/b'), value: pod('b', { app: 'db' }) });
    const all = await unary<RangeReply>(kv, 'Range', { ...range, labelSelector: 'app=web', fieldSelector: 'x' });
    expect(all.kvs.map((x) => x.key.toString())).toEqual(['/registry/pods/default/a', '/registry/pods/default/b']);
    const txn = await unary<{ responses: Array<{ response_range: RangeReply }> }>(kv, 'Txn', {
      success: [{ request_range: { ...range, labelSelector: 'app=web' } }],
    });
    expect(txn.responses[0]!.response_range.count).toBe('2');
    for (let i = 0; i < 200 && replies.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies.slice(1).flatMap((r) => (r.events as unknown[]).length)).toEqual([1, 1]);
  });
});
