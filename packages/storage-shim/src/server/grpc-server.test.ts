import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessServer } from '../../test/support/in-process-server.js';
import type { RunningGrpcServer } from './grpc-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(shutdownGraceMs: number): Promise<RunningGrpcServer> {
  const running = await startInProcessServer({ shutdownGraceMs });
  cleanups.push(() => running.release());
  return running;
}

/** The server side of every HTTP/2 connection grpc-js holds (its internals: only to stage the race below). */
function serverSessions(running: RunningGrpcServer): http2.ServerHttp2Session[] {
  const servers = (
    running.server as unknown as { http2Servers: Map<unknown, { sessions: Set<http2.ServerHttp2Session> }> }
  ).http2Servers;
  return [...servers.values()].flatMap((s) => [...s.sessions]);
}

/** An HTTP/2 client of the server, destroyed after the test; its errors are the test's to provoke. */
function connect(running: RunningGrpcServer): http2.ClientHttp2Session {
  const client = http2.connect(running.urls[0]!);
  cleanups.push(() => {
    client.destroy();
  });
  client.on('error', () => {});
  return client;
}

/** Waits, 5 s at most, until the server holds a session of a client's connection. */
async function sessionOpened(running: RunningGrpcServer): Promise<void> {
  const deadline = Date.now() + 5000;
  while (serverSessions(running).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('graceful stop of the gRPC server', () => {
  it('finishes when a client connection was torn down but not yet closed as close() starts (grpc-node#1458)', async () => {
    const running = await start(5000);
    const client = connect(running);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await sessionOpened(running);
    const [session] = serverSessions(running);
    expect(session).toBeDefined();

    // What a client that disconnects right at SIGTERM leaves behind: destroyed, its 'close' still pending.
    session!.destroy();
    expect(session!.destroyed && !session!.closed).toBe(true);

    const started = Date.now();
    const outcome = await Promise.race([
      running.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('hung'), 8000)),
    ]);
    expect(outcome).toBe('closed');
    // Not the 5 s grace period: nothing was left to wait for.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('cuts connections that stay open after the grace period', async () => {
    const running = await start(300);
    const client = connect(running);
    // A call whose request never arrives keeps its connection open past a graceful close.
    const stream = client.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.KV/Range',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => {});
    stream.write(Buffer.from([0, 0, 0, 0, 100])); // a message header announcing 100 bytes that never come
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await sessionOpened(running);
    await new Promise((r) => setTimeout(r, 100)); // the stream reaches the server
    const started = Date.now();
    await running.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
  });

  it('closes at once when every client has gone', async () => {
    const running = await start(5000);
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
