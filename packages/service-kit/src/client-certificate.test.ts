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
import { type TestError, httpsGet, testError as error } from './test-support.js';
import { testCa, testLeaf, testPki, type Pem, type TestPki } from './testing.js';

let pki: TestPki;
const servers: https.Server[] = [];

beforeAll(async () => {
  pki = await testPki({ server: 'server', client: 'kube-apiserver-webhook-client' });
});
afterAll(() => {
  for (const server of servers) server.close();
});

/** Serves 200, or the refusal's status and `code: message`; `trusted` is the handshake's CA bundle. */
async function serve(
  allowedNames: string[],
  options: { trusted?: string; issuer?: () => string } = {},
): Promise<string> {
  const check = clientCertificateCheck({
    allowedNames,
    signer: 'the test CA',
    action: 'call this route',
    hint: 'use a test certificate',
    error,
    ...(options.issuer ? { issuer: options.issuer } : {}),
  });
  const server = https.createServer(
    { ...pki.server, ca: options.trusted ?? pki.ca.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      check({ raw: req }).then(
        () => res.end('ok'),
        (err: TestError) => res.writeHead(err.httpStatus ?? 500).end(`${err.code}: ${err.message} (${err.hint})`),
      );
    },
  );
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function call(url: string, client?: Pem): Promise<{ status: number; text: string }> {
  const { status, text } = await httpsGet(url, { ca: pki.ca.cert, client });
  return { status, text };
}

describe('clientCertificateCheck', () => {
  it('lets in an allowed CN and refuses others with 403, naming the allowed ones', async () => {
    const url = await serve(['kube-apiserver-webhook-client']);
    expect(await call(url, pki.client)).toEqual({ status: 200, text: 'ok' });
    expect(await call(url, pki.otherClient)).toEqual({
      status: 403,
      text: 'TEST_CLIENT_NOT_ALLOWED: client certificate CN someone-else may not call this route (allowed: kube-apiserver-webhook-client)',
    });
  });

  it('refuses a caller without a certificate, or with one the client CA did not sign, with 401', async () => {
    const url = await serve(['kube-apiserver-webhook-client']);
    const none = await call(url);
    expect(none.status).toBe(401);
    expect(none.text).toMatch(
      /^TEST_CLIENT_CERT_REQUIRED: a client certificate signed by the test CA is required \(.+\) \(use a test certificate\)$/,
    );
    const stranger = await call(url, pki.strangerClient);
    expect(stranger.status).toBe(401);
    expect(stranger.text).toContain('(UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
  });

  it("with issuer: on a server that trusts two CAs, a route lets in only its own CA's certificates, read per request", async () => {
    const deliveryCa = await testCa('delivery-ca');
    const trigger = await testLeaf({ commonName: 'kube-apiserver-webhook-client', ca: deliveryCa, usage: 'client' });
    let issuer = pki.ca.cert;
    const url = await serve(['kube-apiserver-webhook-client'], {
      trusted: `${pki.ca.cert}\n${deliveryCa.cert}`,
      issuer: () => issuer,
    });
    expect(await call(url, pki.client)).toEqual({ status: 200, text: 'ok' });
    // The allowed CN from the other trusted CA: the handshake accepts it, the route does not.
    expect(await call(url, trigger)).toEqual({
      status: 401,
      text: 'TEST_CLIENT_CERT_REQUIRED: a client certificate signed by the test CA is required (this one is signed by another CA the server trusts, for another route) (use a test certificate)',
    });
    expect((await call(url, pki.otherClient)).status).toBe(403);
    // A new issuer (certificates re-read on SIGHUP) applies to the next request.
    issuer = deliveryCa.cert;
    expect((await call(url, trigger)).status).toBe(200);
    expect((await call(url, pki.client)).status).toBe(401);
  });

  it('lets in any certificate the client CA signed when no names are listed', async () => {
    const url = await serve([]);
    expect((await call(url, pki.otherClient)).status).toBe(200);
    expect((await call(url)).status).toBe(401);
  });
});
