import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from '../../../test/support/in-process-server.js';
import { loadEtcdProtos } from '../proto.js';
import { kvDefinition, watchDefinition } from '../wire/service-definitions.js';
import { HeaderCodec, ResponseCodec } from '../wire/etcd-messages.js';
import { frameMessage, MessageReader } from './frames.js';
import { LeanDuplexCall } from './lean-call.js';
import { type GrpcImpl, attachLeanPaths, leanMethods } from './lean-paths.js';

/**
 * The lean gRPC path at the byte level: a raw node:http2 client against the
 * store's gRPC server, each case run on both implementations, which must
 * answer alike. What a client library would hide (how DATA frames cut
 * messages, resets, deadlines, oversized messages) is written out here.
 */

const pkg = loadEtcdProtos().etcdserverpb;
const KV = pkg.KV.service;
const WATCH = pkg.Watch.service;
const MAX_REQUEST_BYTES = 64 * 1024;
/** What grpc-js and the lean path accept per message: the request cap plus etcd's 512 KiB for gRPC's own framing. */
const MAX_RECEIVE = MAX_REQUEST_BYTES + 512 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(impl: GrpcImpl): Promise<InProcessServer> {
  const running = await startInProcessServer({ impl, maxRequestBytes: MAX_REQUEST_BYTES });
  cleanups.push(async () => {
    await running.close();
    await running.release();
  });
  return running;
}

function connect(url: string): http2.ClientHttp2Session {
  const client = http2.connect(url);
  client.on('error', () => {});
  cleanups.push(() => {
    client.destroy();
  });
  return client;
}

interface Reply {
  status: number;
  message: string;
  messages: Buffer[];
  /** True when the status came in the response headers (nothing else was sent). */
  trailersOnly: boolean;
}

/** A gRPC call whose request bytes the test writes itself, chunk by chunk. */
function rawCall(
  client: http2.ClientHttp2Session,
  path: string,
  options: { headers?: http2.OutgoingHttpHeaders } = {},
): { stream: http2.ClientHttp2Stream; messages: Buffer[]; reply: Promise<Reply> } {
  const stream = client.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...options.headers,
  });
  const reader = new MessageReader(64 * 1024 * 1024);
  const messages: Buffer[] = [];
  const reply = new Promise<Reply>((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: Buffer) => {
      messages.push(...reader.push(chunk));
    });
    stream.on('trailers', (t) => {
      resolve({
        status: Number(t['grpc-status']),
        message: decodeURI(String(t['grpc-message'] ?? '')),
        messages,
        trailersOnly: false,
      });
    });
    stream.on('end', () => {
      if (headers['grpc-status'] !== undefined)
        resolve({
          status: Number(headers['grpc-status']),
          message: decodeURI(String(headers['grpc-message'] ?? '')),
          messages,
          trailersOnly: true,
        });
    });
    stream.on('error', reject);
    stream.on('close', () => reject(new Error(`stream closed without a status (rst ${stream.rstCode})`)));
  });
  reply.catch(() => {});
  return { stream, messages, reply };
}

const put = (key: string, value: Buffer | string) =>
  frameMessage(KV.Put!.requestSerialize({ key: Buffer.from(key), value: Buffer.from(value) }));
const range = (key: string) => frameMessage(KV.Range!.requestSerialize({ key: Buffer.from(key) }));
const watchCreate = (key: string, watchId: number) =>
  frameMessage(WATCH.Watch!.requestSerialize({ create_request: { key: Buffer.from(key), watch_id: watchId } }));

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('the lean path takes KV and Watch off grpc-js', () => {
  it('serves KV and Watch itself and leaves every other method to grpc-js, on one listener', async () => {
    const seen: Record<string, string[]> = { Range: [], Watch: [], Status: [] };
    const server = new grpc.Server();
    cleanups.push(() => server.forceShutdown());
    const codec = new ResponseCodec(new HeaderCodec(1n, 2n));
    const kv = {
      definition: kvDefinition(codec),
      implementation: {
        Range: (call: unknown, callback: grpc.sendUnaryData<unknown>) => {
          // grpc-js hands handlers an EventEmitter with metadata; the lean path a plain { request }.
          seen.Range!.push('metadata' in (call as object) ? 'grpc-js' : 'lean');
          callback(null, { header: { revision: 7 }, kvs: [], more: false, count: 0 });
        },
      },
    };
    const watch = {
      definition: watchDefinition(WATCH, codec),
      implementation: {
        Watch: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
          seen.Watch!.push(call instanceof LeanDuplexCall ? 'lean' : 'grpc-js');
          call.end();
        },
      },
    };
    server.addService(kv.definition, kv.implementation);
    server.addService(watch.definition, watch.implementation);
    server.addService(pkg.Maintenance.service, {
      Status: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        seen.Status!.push('metadata' in call ? 'grpc-js' : 'lean');
        callback(null, { version: '3.6.4' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    attachLeanPaths(
      server,
      [kv, watch].flatMap((s) => leanMethods(s.definition, s.implementation)),
      { maxReceiveBytes: MAX_RECEIVE },
    );
    const client = connect(`http://127.0.0.1:${port}`);

    const r = rawCall(client, '/etcdserverpb.KV/Range');
    r.stream.end(range('a'));
    expect((await r.reply).status).toBe(0);
    const w = rawCall(client, '/etcdserverpb.Watch/Watch');
    w.stream.end();
    expect((await w.reply).status).toBe(0);
    const s = rawCall(client, '/etcdserverpb.Maintenance/Status');
    s.stream.end(frameMessage(Buffer.alloc(0)));
    expect((await s.reply).status).toBe(0);
    // A method registered on neither: grpc-js's own answer.
    const auth = rawCall(client, '/etcdserverpb.Auth/AuthStatus');
    auth.stream.end(frameMessage(Buffer.alloc(0)));
    expect(await auth.reply).toMatchObject({ status: grpc.status.UNIMPLEMENTED });
    // A compressed call goes to grpc-js too, which knows the encodings.
    const gz = rawCall(client, '/etcdserverpb.KV/Range', { headers: { 'grpc-encoding': 'gzip' } });
    gz.stream.end(range('a'));
    expect((await gz.reply).status).toBe(0);
    // The plain Range on the lean path, the gzip one on grpc-js.
    expect(seen).toEqual({ Range: ['lean', 'grpc-js'], Watch: ['lean'], Status: ['grpc-js'] });
  });
});

describe.each<GrpcImpl>(['lean', 'grpc-js'])('gRPC framing on the %s path', (impl) => {
  it('reassembles a request split across DATA frames, its 5-byte prefix included', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const value = Buffer.alloc(40 * 1024, 'v');
    const framed = put('split', value);
    const p = rawCall(client, '/etcdserverpb.KV/Put');
    for (const [from, to] of [
      [0, 3],
      [3, 7],
      [7, 20_000],
      [20_000, framed.length],
    ] as const) {
      p.stream.write(framed.subarray(from, to));
      await tick();
    }
    p.stream.end();
    expect((await p.reply).status).toBe(0);
    const r = rawCall(client, '/etcdserverpb.KV/Range');
    r.stream.end(range('split'));
    const got = KV.Range!.responseDeserialize((await r.reply).messages[0]!) as { kvs: { value: Buffer }[] };
    expect(got.kvs[0]!.value.equals(value)).toBe(true);
  });

  it('reads several watch requests from one DATA frame', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const w = rawCall(client, '/etcdserverpb.Watch/Watch');
    w.stream.write(Buffer.concat([watchCreate('a', 11), watchCreate('b', 12), watchCreate('c', 13)]));
    await until(() => w.messages.length === 3, 'three created responses');
    const got = w.messages.map((m) => WATCH.Watch!.responseDeserialize(m) as { created: boolean; watch_id: string });
    expect(got.map((r) => [r.created, Number(r.watch_id)])).toEqual([
      [true, 11],
      [true, 12],
      [true, 13],
    ]);
    expect(running.sessions.watcherCount).toBe(3);
    w.stream.end();
    expect((await w.reply).status).toBe(0);
  });

  it('answers two requests on a unary call like grpc-js: UNIMPLEMENTED', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const r = rawCall(client, '/etcdserverpb.KV/Range');
    r.stream.end(Buffer.concat([range('a'), range('b')]));
    expect(await r.reply).toMatchObject({
      status: grpc.status.UNIMPLEMENTED,
      message: 'Received a second request message for server streaming method /etcdserverpb.KV/Range',
    });
  });

  it('releases the watchers of a stream the client resets mid-watch, and carries on', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const w = rawCall(client, '/etcdserverpb.Watch/Watch');
    w.stream.write(Buffer.concat([watchCreate('x', 1), watchCreate('y', 2)]));
    await until(() => running.sessions.watcherCount === 2, 'two watchers');
    w.stream.close(http2.constants.NGHTTP2_CANCEL);
    await until(() => running.hub.size === 0, 'the watchers to be released');
    expect(running.sessions.watcherCount).toBe(0);
    const p = rawCall(client, '/etcdserverpb.KV/Put');
    p.stream.end(put('x', 'after'));
    expect((await p.reply).status).toBe(0);
  });

  it('ends a watch at its grpc-timeout with DEADLINE_EXCEEDED and releases its watchers', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const started = Date.now();
    const w = rawCall(client, '/etcdserverpb.Watch/Watch', { headers: { 'grpc-timeout': '300m' } });
    w.stream.write(watchCreate('d', 1));
    await until(() => running.sessions.watcherCount === 1, 'the watcher');
    const reply = await w.reply;
    expect(reply).toMatchObject({ status: grpc.status.DEADLINE_EXCEEDED, message: 'Deadline exceeded' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // The created response went out first, so the status travels in trailers.
    expect(reply.trailersOnly).toBe(false);
    await until(() => running.hub.size === 0, 'the watcher to be released');
  });

  it('refuses a message beyond the receive limit with RESOURCE_EXHAUSTED, before reading it', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const p = rawCall(client, '/etcdserverpb.KV/Put');
    // Only the prefix: the server must answer from the length alone.
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(MAX_RECEIVE + 1, 1);
    p.stream.write(prefix);
    expect(await p.reply).toMatchObject({
      status: grpc.status.RESOURCE_EXHAUSTED,
      message: `Received message larger than max (${MAX_RECEIVE + 1} vs ${MAX_RECEIVE})`,
      trailersOnly: true,
    });
  });

  it('releases the watchers of a watch stream ended by an oversized message', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const w = rawCall(client, '/etcdserverpb.Watch/Watch');
    w.stream.write(watchCreate('o', 1));
    await until(() => running.sessions.watcherCount === 1, 'the watcher');
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(MAX_RECEIVE + 1, 1);
    w.stream.write(prefix);
    expect(await w.reply).toMatchObject({ status: grpc.status.RESOURCE_EXHAUSTED, trailersOnly: false });
    await until(() => running.hub.size === 0, 'the watcher to be released');
  });

  it('refuses a write past --max-request-bytes but within the limit with etcd’s error', async () => {
    const running = await start(impl);
    const client = connect(running.urls[0]!);
    const p = rawCall(client, '/etcdserverpb.KV/Put');
    p.stream.end(put('big', Buffer.alloc(MAX_REQUEST_BYTES + 1)));
    expect(await p.reply).toMatchObject({
      status: grpc.status.INVALID_ARGUMENT,
      message: 'etcdserver: request is too large',
    });
  });
});
