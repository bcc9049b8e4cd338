/**
 * KubeClaimStore against a small loopback stand-in for the apiserver's REST
 * surface (the real kube-apiserver arrives with the live-registration task):
 * it checks paths, verbs, query parameters and status-code handling.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmailClaims, claimNameFor, emailSha256, type EmailClaim } from './email-claim.js';
import { WebhooksError } from './errors.js';
import { KubeClaimStore, claimFromConfigMap, claimToConfigMap, type ConfigMap } from './kube-claim-store.js';
import { REGISTRATION_UID_LABEL } from './webshop.js';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
}

const configMaps = new Map<string, ConfigMap>();
let users: Array<{
  metadata: { namespace: string; name: string; labels?: Record<string, string> };
  spec: { email: string };
}> = [];
let fieldSelectorSupported = true;
let usersForbidden = false;
let seen: Seen[] = [];
let server: http.Server;
let kc: KubeConfig;

function status(res: http.ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cmPrefix = '/api/v1/namespaces/cnpaas-system/configmaps';
      if (req.method === 'POST' && url.pathname === cmPrefix) {
        const cm = JSON.parse(Buffer.concat(chunks).toString()) as ConfigMap;
        const name = cm.metadata!.name!;
        if (configMaps.has(name)) return status(res, 409, 'AlreadyExists', `configmaps "${name}" already exists`);
        configMaps.set(name, cm);
        res.writeHead(201, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(cm));
      }
      if (req.method === 'GET' && url.pathname.startsWith(`${cmPrefix}/`)) {
        const cm = configMaps.get(decodeURIComponent(url.pathname.slice(cmPrefix.length + 1)));
        if (!cm) return status(res, 404, 'NotFound', 'configmaps not found');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(cm));
      }
      if (req.method === 'GET' && url.pathname === '/apis/webshop.cnpaas.dev/v1/users') {
        if (usersForbidden)
          return status(
            res,
            403,
            'Forbidden',
            'users.webshop.cnpaas.dev is forbidden: User "cnpaas-webhooks" cannot list resource "users"',
          );
        const selector = url.searchParams.get('fieldSelector');
        if (selector && !fieldSelectorSupported)
          return status(res, 400, 'BadRequest', 'field label not supported: spec.email');
        const items = selector ? users.filter((u) => `spec.email=${u.spec.email}` === selector) : users;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            apiVersion: 'webshop.cnpaas.dev/v1',
            kind: 'UserList',
            metadata: { resourceVersion: '42' },
            items,
          }),
        );
      }
      if (req.method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/configmaps$/.test(url.pathname)) {
        return status(res, 404, 'NotFound', `namespaces "${url.pathname.split('/')[4]}" not found`);
      }
      status(res, 403, 'Forbidden', `${req.method} ${url.pathname} is forbidden`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'cnpaas-webhooks' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'cnpaas-webhooks' }],
    currentContext: 'local',
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  configMaps.clear();
  users = [];
  fieldSelectorSupported = true;
  usersForbidden = false;
  seen = [];
});

const claim = (email: string, uid: string): EmailClaim => ({
  name: claimNameFor(email),
  emailSha256: emailSha256(email),
  owner: { uid, uidKind: 'registration', claimedBy: 'RegistrationRequest/r-1' },
  claimedAt: '2026-01-01T00:00:00.000Z',
});

describe('claim ConfigMaps', () => {
  it('round-trip: labels name the owner, the data holds the digest but not the address', () => {
    const c = claim('ada@example.com', 'uid-1');
    const cm = claimToConfigMap(c);
    expect(cm.metadata).toMatchObject({
      name: c.name,
      namespace: 'cnpaas-system',
      labels: { 'webshop.cnpaas.dev/email-claim': 'true', [REGISTRATION_UID_LABEL]: 'uid-1' },
      annotations: { 'webshop.cnpaas.dev/claimed-by': 'RegistrationRequest/r-1' },
    });
    expect(cm.immutable).toBe(true);
    expect(JSON.stringify(cm)).not.toContain('ada@example.com');
    expect(claimFromConfigMap(cm)).toEqual(c);
    const lone = claimToConfigMap({ ...c, owner: { uid: 'u-2', uidKind: 'user', claimedBy: 'User/a/b' } });
    expect(lone.metadata?.labels).toMatchObject({ 'webshop.cnpaas.dev/user-uid': 'u-2' });
  });

  it('refuses to read a ConfigMap that is not a claim', () => {
    expect(() => claimFromConfigMap({ metadata: { name: 'email-claim-x' }, data: {} })).toThrow(WebhooksError);
  });
});

describe('KubeClaimStore', () => {
  it('creates a claim once, reports AlreadyExists as "exists", reads it back', async () => {
    const store = new KubeClaimStore(kc);
    const c = claim('ada@example.com', 'uid-1');
    expect(await store.createClaim(c)).toBe('created');
    expect(await store.createClaim({ ...c, owner: { ...c.owner, uid: 'uid-2' } })).toBe('exists');
    expect(await store.readClaim(c.name)).toEqual(c);
    expect(await store.readClaim('email-claim-missing')).toBeUndefined();
    const post = seen.find((s) => s.method === 'POST')!;
    expect(post.query.get('fieldManager')).toBe('cnpaas-webhooks');
  });

  it('lists users with a consistent read (no resourceVersion) and a field selector', async () => {
    users = [
      {
        metadata: { namespace: 't-1', name: 't-1', labels: { [REGISTRATION_UID_LABEL]: 'r-1' } },
        spec: { email: 'ada@example.com' },
      },
      { metadata: { namespace: 't-2', name: 't-2' }, spec: { email: 'bob@example.com' } },
    ];
    const store = new KubeClaimStore(kc);
    expect(await store.listUsersByEmail('ada@example.com')).toEqual([
      { namespace: 't-1', name: 't-1', registrationUid: 'r-1' },
    ]);
    const list = seen.find((s) => s.path.endsWith('/users'))!;
    expect(list.query.get('fieldSelector')).toBe('spec.email=ada@example.com');
    expect(list.query.has('resourceVersion')).toBe(false);
  });

  it('falls back to a full list when spec.email is not a selectable field, and remembers', async () => {
    fieldSelectorSupported = false;
    users = [{ metadata: { namespace: 't-1', name: 't-1' }, spec: { email: 'Ada@Example.com' } }];
    const store = new KubeClaimStore(kc);
    expect(await store.listUsersByEmail('ada@example.com')).toEqual([{ namespace: 't-1', name: 't-1' }]);
    expect(await store.listUsersByEmail('ada@example.com')).toHaveLength(1);
    const selectors = seen.filter((s) => s.path.endsWith('/users')).map((s) => s.query.get('fieldSelector'));
    expect(selectors).toEqual(['spec.email=ada@example.com', null, null]);
  });

  it('says what to do when the system namespace is missing', async () => {
    const store = new KubeClaimStore(kc, { namespace: 'nowhere' });
    const error = await store.createClaim(claim('ada@example.com', 'u')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).describe()).toBe(
      'CNPAAS_WEBHOOKS_CLAIM_STORE: namespace nowhere does not exist\n  fix: create it (cnpaas up does) before registering the webhooks',
    );
  });

  it('passes other API errors on, for EmailClaims to wrap with its hint', async () => {
    usersForbidden = true;
    const error = await new EmailClaims({ store: new KubeClaimStore(kc) })
      .claim({ email: 'ada@example.com', owner: claim('a@b.cd', 'u').owner, dryRun: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).message).toBe(
      'list users by email failed: GET /apis/webshop.cnpaas.dev/v1/users: HTTP 403: users.webshop.cnpaas.dev is forbidden: User "cnpaas-webhooks" cannot list resource "users"',
    );
    expect((error as WebhooksError).hint).toContain('RBAC');
  });

  it('serves EmailClaims end to end: one winner among concurrent claims', async () => {
    const claims = new EmailClaims({ store: new KubeClaimStore(kc) });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        claims.claim({ email: 'ada@example.com', owner: claim('x@y.zz', `uid-${i}`).owner, dryRun: false }),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'taken')).toHaveLength(19);
  });
});
