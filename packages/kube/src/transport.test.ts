/**
 * The shared keep-alive agent against a real in-process HTTPS server that
 * requires client certificates (certificates generated per run): two
 * requests share one TLS connection, and a client certificate rotated on
 * disk is used from the next credential check on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { testCa, testLeaf, type Pem } from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import { agentFor, CREDENTIAL_CHECK_INTERVAL_MS } from './transport.js';

let dir: string;
let server: https.Server;
let ca: Pem;
let secondClient: Pem;
/** One entry per TLS handshake the server completed. */
const handshakes: string[] = [];
/** The client certificate's CN of each request. */
const callers: string[] = [];

function writeIdentity(client: Pem): void {
  writeFileSync(path.join(dir, 'client.crt'), client.cert);
  writeFileSync(path.join(dir, 'client.key'), client.key);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kube-transport-'));
  ca = await testCa('test-ca');
  const [serving, first, second] = await Promise.all([
    testLeaf({ commonName: 'apiserver', ca, usage: 'server' }),
    testLeaf({ commonName: 'first-client', ca, usage: 'client' }),
    testLeaf({ commonName: 'second-client', ca, usage: 'client' }),
  ]);
  secondClient = second;
  writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
  writeIdentity(first);
  server = https.createServer(
    { key: serving.key, cert: serving.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
      callers.push(String(cn));
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'NotFound',
            code: 404,
            message: 'widgets "missing" not found',
          }),
        );
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ cn }));
    },
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    handshakes.push(String(socket.getPeerCertificate().subject?.CN));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the shared transport', () => {
  const clock = new FakeClock();
  const client = (): KubeClient =>
    KubeClient.fromFiles(
      {
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caFile: path.join(dir, 'ca.crt'),
        client: { certFile: path.join(dir, 'client.crt'), keyFile: path.join(dir, 'client.key') },
      },
      { clock },
    );

  it('reuses one TLS connection across requests and across clients of the same identity', async () => {
    handshakes.length = 0;
    const a = client();
    const b = client(); // another client, another KubeConfig object: same server and files, so the same agent
    expect(await a.json({ method: 'GET', path: '/one' })).toEqual({ cn: 'first-client' });
    expect(await a.json({ method: 'GET', path: '/two' })).toEqual({ cn: 'first-client' });
    expect(await b.json({ method: 'GET', path: '/three' })).toEqual({ cn: 'first-client' });
    expect(handshakes).toEqual(['first-client']);
    expect(await agentFor(a.kubeConfig, clock)).toBe(await agentFor(b.kubeConfig, clock));
  });

  it('errors carry the Status: code, reason and message', async () => {
    const err = await client()
      .json({ method: 'GET', path: '/missing' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    const e = err as KubeApiError;
    expect(e.code).toBe(404);
    expect(e.reason).toBe('NotFound');
    expect(e.status?.message).toBe('widgets "missing" not found');
    expect(e.message).toContain('GET /missing: HTTP 404: widgets "missing" not found');
    // request() resolves whatever the status
    expect(await client().request('GET', '/missing')).toMatchObject({ status: 404, body: { reason: 'NotFound' } });
  });

  it('uses a client certificate rotated on disk from the next credential check on', async () => {
    const c = client();
    expect(await c.json({ method: 'GET', path: '/before' })).toEqual({ cn: 'first-client' });
    handshakes.length = 0;
    writeIdentity(secondClient);
    // Within the check interval the files are not looked at: still the open connection, still the old identity.
    expect(await c.json({ method: 'GET', path: '/unchecked' })).toEqual({ cn: 'first-client' });
    expect(handshakes).toEqual([]);
    await clock.advance(CREDENTIAL_CHECK_INTERVAL_MS);
    expect(await c.json({ method: 'GET', path: '/after' })).toEqual({ cn: 'second-client' });
    expect(await c.json({ method: 'GET', path: '/after-again' })).toEqual({ cn: 'second-client' });
    // One new handshake with the new certificate, then that connection is reused.
    expect(handshakes).toEqual(['second-client']);
    expect(callers.slice(-4)).toEqual(['first-client', 'first-client', 'second-client', 'second-client']);
  });
});
