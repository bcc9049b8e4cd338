/**
 * Real TLS: a node:https server set up as the cnpaas servers are (asks for a
 * client certificate, does not require one), with the check in front of
 * every request.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCertificateCheck } from './client-certificate.js';
import { TestError, testError as error } from './test-support.js';
import { testCa, testLeaf, type Pem } from './testing.js';

let ca: Pem;
let clients: Record<'allowed' | 'other' | 'stranger', Pem>;
const servers: https.Server[] = [];

beforeAll(async () => {
  ca = await testCa('client-ca');
  const stranger = await testCa('some-other-ca');
  clients = {
    allowed: await testLeaf({ commonName: 'kube-apiserver-webhook-client', ca, usage: 'client' }),
    other: await testLeaf({ commonName: 'someone-else', ca, usage: 'client' }),
    stranger: await testLeaf({ commonName: 'kube-apiserver-webhook-client', ca: stranger, usage: 'client' }),
  };
});
afterAll(() => {
  for (const server of servers) server.close();
});

/** Serves 200, or the refusal's status and `code: message`. */
async function serve(allowedNames: string[]): Promise<string> {
  const serving = await testLeaf({ commonName: 'server', ca, usage: 'server' });
  const check = clientCertificateCheck({ allowedNames, signer: 'the test CA', action: 'call this route', hint: 'use a test certificate', error });
  const server = https.createServer({ ...serving, ca: ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    check({ raw: req }).then(
      () => res.end('ok'),
      (err: TestError) => res.writeHead(err.httpStatus ?? 500).end(`${err.code}: ${err.message} (${err.hint})`),
    );
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function call(url: string, client?: Pem): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: ca.cert, ...(client ?? {}), agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('clientCertificateCheck', () => {
  it('lets in an allowed CN and refuses others with 403, naming the allowed ones', async () => {
    const url = await serve(['kube-apiserver-webhook-client']);
    expect(await call(url, clients.allowed)).toEqual({ status: 200, text: 'ok' });
    expect(await call(url, clients.other)).toEqual({
      status: 403,
      text: 'TEST_CLIENT_NOT_ALLOWED: client certificate CN someone-else may not call this route (allowed: kube-apiserver-webhook-client)',
    });
  });

  it('refuses a caller without a certificate, or with one the client CA did not sign, with 401', async () => {
    const url = await serve(['kube-apiserver-webhook-client']);
    const none = await call(url);
    expect(none.status).toBe(401);
    expect(none.text).toMatch(/^TEST_CLIENT_CERT_REQUIRED: a client certificate signed by the test CA is required \(.+\) \(use a test certificate\)$/);
    const stranger = await call(url, clients.stranger);
    expect(stranger.status).toBe(401);
    expect(stranger.text).toContain('(UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
  });

  it('lets in any certificate the client CA signed when no names are listed', async () => {
    const url = await serve([]);
    expect((await call(url, clients.other)).status).toBe(200);
    expect((await call(url)).status).toBe(401);
  });
});
