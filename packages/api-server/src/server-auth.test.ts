/**
 * Authentication (front-proxy certificate, then X-Remote-*) and
 * authorization (SubjectAccessReview) over real TLS.
 *
 * The kube API here is test-support/fake-kube-api.ts, for what it records
 * and injects: the exact SubjectAccessReview asked for a caller, denials
 * with a reason of our choosing (system:masters included), a SAR that fails,
 * and the decision cache. Real RBAC refusals (a caller without
 * cnpaas-registrant, our own identity without SAR rights) are in
 * server-auth.live.test.ts on a real kube-apiserver; only the e2e suites
 * prove the aggregator really presents front-proxy-client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GROUP_VERSION_PATH, REGISTRATIONS_PATH } from './api-group.js';
import { failure } from './status.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startStack, type TestStack } from './test-support/stack.js';

let pki: TestPki;
let stack: TestStack;

beforeAll(async () => {
  pki = await testPki();
  stack = await startStack(pki);
});
afterAll(async () => stack.close());
beforeEach(() => {
  stack.fake.reviews.length = 0;
  stack.fake.creates.length = 0;
  stack.fake.decide = () => ({ allowed: true });
});

function expectStatus(reply: { status: number; json: any }, code: number, reason: string): void {
  expect(reply.status).toBe(code);
  expect(reply.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  expect(typeof reply.json.message).toBe('string');
}

describe('front-proxy authentication', () => {
  it('honours X-Remote-* on a front-proxy certificate and asks a SubjectAccessReview for exactly that caller', async () => {
    const reply = await stack.proxied(GROUP_VERSION_PATH, {
      user: 'alice',
      groups: ['webshop-signup', 'team, with comma'],
      headers: {
        'X-Remote-Uid': 'uid-42',
        'X-Remote-Extra-Authentication.kubernetes.io%2fpod-name': 'web-0',
        'X-Remote-Extra-Scopes': ['a', 'b'],
      },
    });
    expect(reply.status).toBe(200);
    expect(stack.fake.reviews).toHaveLength(1);
    expect(stack.fake.reviews[0]).toEqual({
      user: 'alice',
      uid: 'uid-42',
      // One header line per group (a comma stays inside its group), plus the group every authenticated user has.
      groups: ['webshop-signup', 'team, with comma', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['web-0'], scopes: ['a', 'b'] },
      nonResourceAttributes: { path: GROUP_VERSION_PATH, verb: 'get' },
    });
  });

  it('refuses a certificate from another CA that claims the front-proxy name and sets X-Remote-User (401, no SAR)', async () => {
    const reply = await stack.direct(GROUP_VERSION_PATH, {
      client: pki.clusterSignedFrontProxyName,
      headers: { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' },
    });
    expectStatus(reply, 401, 'Unauthorized');
    expect(reply.json.message).toContain('not signed by the front-proxy CA');
    expect(stack.fake.reviews).toHaveLength(0);
  });

  it('refuses a spoofed POST before reading its body: nothing is created', async () => {
    const reply = await stack.direct(REGISTRATIONS_PATH, {
      client: pki.clusterSignedFrontProxyName,
      headers: { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' },
      body: '{}',
      contentType: 'application/json',
    });
    expectStatus(reply, 401, 'Unauthorized');
    expect(stack.fake.creates).toHaveLength(0);
  });

  it('refuses a request without a client certificate (401) and says how to call', async () => {
    const reply = await stack.direct(GROUP_VERSION_PATH, { headers: { 'X-Remote-User': 'alice' } });
    expectStatus(reply, 401, 'Unauthorized');
    expect(reply.json.message).toMatch(/client certificate is required.*kubectl create --raw/);
    expect(stack.fake.reviews).toHaveLength(0);
  });

  it('refuses a front-proxy CA certificate whose CN is not allowed', async () => {
    const reply = await stack.direct(GROUP_VERSION_PATH, {
      client: pki.frontProxyOtherName,
      headers: { 'X-Remote-User': 'alice' },
    });
    expectStatus(reply, 401, 'Unauthorized');
    expect(reply.json.message).toContain('"someone-else" is not in --requestheader-allowed-names');
  });

  it('refuses a proxied request without X-Remote-User', async () => {
    const reply = await stack.direct(GROUP_VERSION_PATH, { client: pki.frontProxyClient });
    expectStatus(reply, 401, 'Unauthorized');
    expect(reply.json.message).toContain('x-remote-user');
  });

  it('serves health and metrics without a certificate and without asking the SAR', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const reply = await stack.direct(path, {});
      expect(reply.status, path).toBe(200);
      expect(reply.text).toBe('ok');
    }
    const metrics = await stack.direct('/metrics', {});
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('cnpaas_api_rejected_requests_total');
    expect(stack.fake.reviews).toHaveLength(0);
  });

  it('serves the certificate the aggregator verifies: cnpaas-api.cnpaas-system.svc from the serving CA', async () => {
    // call() verifies the server against servername cnpaas-api.cnpaas-system.svc by default; a wrong name fails the handshake.
    expect((await stack.direct('/healthz', {})).status).toBe(200);
    await expect(stack.direct('/healthz', { servername: 'cnpaas-api.other.svc' })).rejects.toThrow(
      /altnames|Hostname/i,
    );
  });
});

describe('SubjectAccessReview authorization', () => {
  it("answers 403 with kube-apiserver's wording and the role to ask for when the SAR denies create", async () => {
    stack.fake.decide = (spec) =>
      spec.resourceAttributes ? { allowed: false, reason: 'no RBAC policy matched' } : { allowed: true };
    const reply = await stack.proxied(REGISTRATIONS_PATH, {
      user: 'mallory',
      body: '{}',
      contentType: 'application/json',
    });
    expectStatus(reply, 403, 'Forbidden');
    expect(reply.json.message).toContain(
      'registrations.api.webshop.cnpaas.dev is forbidden: User "mallory" cannot create resource "registrations" in API group "api.webshop.cnpaas.dev" at the cluster scope: no RBAC policy matched',
    );
    expect(reply.json.message).toContain('cnpaas-registrant');
    expect(stack.fake.reviews.at(-1)).toMatchObject({
      user: 'mallory',
      resourceAttributes: { group: 'api.webshop.cnpaas.dev', version: 'v1', resource: 'registrations', verb: 'create' },
    });
    expect(stack.fake.creates).toHaveLength(0);
  });

  it('does not special-case system:masters: the SAR decides for it too', async () => {
    stack.fake.decide = () => ({ allowed: false, denied: true, reason: 'denied by policy' });
    const reply = await stack.proxied('/apis', { user: 'root', groups: ['system:masters'] });
    expectStatus(reply, 403, 'Forbidden');
    expect(stack.fake.reviews.at(-1)).toMatchObject({
      user: 'root',
      groups: ['system:masters', 'system:authenticated'],
    });
  });

  it('answers 503 (not 403, not a hang) when the SAR itself fails', async () => {
    stack.fake.decide = () => failure({ code: 500, message: 'etcdserver: request timed out' });
    const reply = await stack.proxied('/openapi/v3', { user: 'bob-503' });
    expectStatus(reply, 503, 'ServiceUnavailable');
    expect(reply.json.message).toContain('cannot check authorization');
  });

  it("reuses a decision for 10 s: the aggregator's repeated discovery checks cost one SAR", async () => {
    const user = 'system:kube-aggregator';
    for (let i = 0; i < 3; i++)
      expect((await stack.proxied(GROUP_VERSION_PATH, { user, groups: ['system:masters'] })).status).toBe(200);
    expect(stack.fake.reviews.filter((r) => r.user === user)).toHaveLength(1);
  });

  it('authorizes other verbs on registrations as the verbs they are, then answers 405', async () => {
    const reply = await stack.proxied(`${REGISTRATIONS_PATH}/reg-1`, { user: 'carol', method: 'DELETE' });
    expectStatus(reply, 405, 'MethodNotAllowed');
    expect(stack.fake.reviews.at(-1)?.resourceAttributes).toMatchObject({ verb: 'delete', name: 'reg-1' });
  });
});
