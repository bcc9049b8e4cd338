/**
 * Real TLS: a node:https server set up as an aggregated API server is (asks
 * for a client certificate, trusts only the front-proxy CA), answering with
 * the identity authenticateFrontProxy read or its refusal.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorFactory, FrontProxyFailure } from './errors.js';
import { authenticateFrontProxy } from './front-proxy-auth.js';
import { TestError, httpsGet } from './test-support.js';
import { testPki, type Pem, type TestPki } from './testing.js';

const error: ErrorFactory<FrontProxyFailure> = (kind, message, options) =>
  new TestError(`TEST_${kind}`, message, options);

let pki: TestPki;
let url: string;
let server: https.Server;

beforeAll(async () => {
  pki = await testPki({ server: 'server', client: 'front-proxy-client' });
  server = https.createServer(
    { ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      try {
        const user = authenticateFrontProxy(req, {
          allowedNames: ['front-proxy-client'],
          hint: 'call through kube-apiserver',
          error,
        });
        res.end(JSON.stringify(user));
      } catch (err) {
        const e = err as TestError;
        res.writeHead(e.httpStatus ?? 500).end(`${e.code}: ${e.message} (${e.hint})`);
      }
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => server.close());

const call = (client: Pem | undefined, headers: Record<string, string | string[]> = {}) =>
  httpsGet(url, { ca: pki.ca.cert, client, headers });

describe('authenticateFrontProxy', () => {
  it('reads user, groups (one header each), uid and the unescaped extras from the front proxy, adding system:authenticated', async () => {
    const reply = await call(pki.client, {
      'X-Remote-User': 'ada',
      'X-Remote-Group': ['team,with-comma', 'devs'],
      'X-Remote-Uid': 'u-1',
      'X-Remote-Extra-Authentication.kubernetes.io%2fpod-name': 'p1',
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({
      username: 'ada',
      uid: 'u-1',
      groups: ['team,with-comma', 'devs', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['p1'] },
    });
  });

  it('refuses X-Remote-User without a certificate, from another CA, or from another CN, with 401', async () => {
    const headers = { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' };
    const none = await call(undefined, headers);
    expect(none.status).toBe(401);
    expect(none.text).toMatch(
      /^TEST_UNAUTHENTICATED: a client certificate is required.*\(call through kube-apiserver\)$/,
    );
    const stranger = await call(pki.strangerClient, headers);
    expect(stranger.status).toBe(401);
    expect(stranger.text).toMatch(/^TEST_UNAUTHENTICATED: the client certificate is not signed by the front-proxy CA/);
    const other = await call(pki.otherClient, headers);
    expect(other.status).toBe(401);
    expect(other.text).toMatch(
      /^TEST_PROXY_NOT_ALLOWED: the front-proxy client certificate CN "someone-else" is not in --requestheader-allowed-names \(front-proxy-client\)/,
    );
  });

  it('refuses a proxied request without X-Remote-User', async () => {
    const reply = await call(pki.client);
    expect(reply.status).toBe(401);
    expect(reply.text).toMatch(/^TEST_NO_USER: the proxied request carries no x-remote-user header/);
  });
});
