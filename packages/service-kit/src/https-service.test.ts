/**
 * Real TLS: fastify HTTPS servers built from the kit's options, with the
 * certificates of a test PKI, on the kit's HttpsService.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyHttpsOptions, type ServingTls } from './https-options.js';
import { HttpsService } from './https-service.js';
import { createServiceLogger, type Logger } from './logger.js';
import { caught, httpsGet, testError as error } from './test-support.js';
import { collectLines, testPki, type Pem, type TestPki } from './testing.js';

type App = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;

/** A package's TLS material: its client CA under its own name. */
interface PackageTls {
  serving: Pem;
  clientCa?: string;
}

/** A package's server: its one route says whether the caller's certificate was verified against the client CA. */
class TestServer extends HttpsService<App, PackageTls> {
  constructor(tls: PackageTls) {
    const log = createServiceLogger({ component: 'cnpaas-test', destination: collectLines().destination });
    const app: App = Fastify(fastifyHttpsOptions({ tls: servingTls(tls), log, bodyLimit: 1024 }));
    super(app, { error, registry: new Registry(), servingTls });
    app.get('/', async (request) => `authorized=${String((request.raw.socket as TLSSocket).authorized)}`);
  }
}

function servingTls(tls: PackageTls): ServingTls {
  return { ...tls.serving, ca: tls.clientCa };
}

let pki: TestPki;
const servers: TestServer[] = [];
beforeAll(async () => {
  pki = await testPki({ server: 'cnpaas-test-server', client: 'cnpaas-test-client' });
});
afterAll(async () => {
  for (const server of servers) if (server.ready) await server.close();
});

function server(tls: PackageTls): TestServer {
  const created = new TestServer(tls);
  servers.push(created);
  return created;
}

describe('fastifyHttpsOptions', () => {
  it('with a client CA, asks for a client certificate and verifies it, but serves a caller without one', async () => {
    const url = await server({ serving: pki.server, clientCa: pki.ca.cert }).listen({ host: '127.0.0.1', port: 0 });
    expect(await httpsGet(url, { ca: pki.ca.cert, client: pki.client })).toMatchObject({
      status: 200,
      text: 'authorized=true',
    });
    expect(await httpsGet(url, { ca: pki.ca.cert, client: pki.strangerClient })).toMatchObject({
      status: 200,
      text: 'authorized=false',
    });
    expect(await httpsGet(url, { ca: pki.ca.cert })).toMatchObject({ status: 200, text: 'authorized=false' });
  });

  it('without one, asks for none', async () => {
    const url = await server({ serving: pki.server }).listen({ host: '127.0.0.1', port: 0 });
    expect(await httpsGet(url, { ca: pki.ca.cert, client: pki.client })).toMatchObject({
      status: 200,
      text: 'authorized=false',
    });
  });
});

describe('HttpsService', () => {
  it('is ready from listening until closing, gives its URL, and serves the health routes', async () => {
    const service = server({ serving: pki.server, clientCa: pki.ca.cert });
    expect((await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    const url = await service.listen({ host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect([service.ready, service.url()]).toEqual([true, url]);
    expect(await httpsGet(`${url}/readyz`, { ca: pki.ca.cert })).toMatchObject({ status: 200, text: 'ok' });
    await service.close();
    expect(service.ready).toBe(false);
  });

  it('swaps certificates without a restart, keeping the client CA', async () => {
    const service = server({ serving: pki.server, clientCa: pki.ca.cert });
    const url = await service.listen({ host: '127.0.0.1', port: 0 });
    const renewed = await testPki({ server: 'cnpaas-test-server', client: 'cnpaas-test-client' });
    const before = (await httpsGet(url, { ca: pki.ca.cert })).peerCertificate!;
    service.setTls({ serving: renewed.server, clientCa: pki.ca.cert });
    const after = await httpsGet(url, { ca: renewed.ca.cert, client: pki.client });
    expect(after.peerCertificate!.fingerprint256).not.toBe(before.fingerprint256);
    expect(after.text).toBe('authorized=true');
  });

  it("reports a taken port as the package's LISTEN error, naming --listen", async () => {
    const port = Number(new URL(await server({ serving: pki.server }).listen({ host: '127.0.0.1', port: 0 })).port);
    const second = server({ serving: pki.server });
    const err = await caught(() => second.listen({ host: '127.0.0.1', port }));
    expect([err.code, err.hint]).toEqual([
      'TEST_LISTEN',
      'pick a free port with --listen HOST:PORT, or stop the process that holds it',
    ]);
    expect(second.ready).toBe(false);
  });
});
