import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowWithPatch, decodePatch, type AdmissionReview } from '@cnpaas/service-kit';
import { httpsCall } from '@cnpaas/service-kit/testing';
import { EmailClaims } from './email-claim.js';
import { PasswordHasher } from './password-hash.js';
import { WEBHOOKS, webshopRoutes, type WebhookRoute } from './routes.js';
import { WebhookServer } from './server.js';
import {
  FAST_SCRYPT,
  MemoryClaimStore,
  admissionRequest,
  applyAdmissionPatch,
  capturingLogger,
  registrationObject,
  testPki,
  validRegistrationSpec,
  type TestPki,
} from './test-support.js';

/** Plain passwords sent in this file; none may ever appear in a log line. */
const SECRETS = ['Sup3r-Secret-Plain!', 'weaksecretpass', 'Leaky-J50n-Pa55!', 'Inj3cted-Handler-Pw!'];

const hasher = new PasswordHasher({ scryptFloor: FAST_SCRYPT });
const store = new MemoryClaimStore();
const { log, lines } = capturingLogger('trace');
let pki: TestPki;
let server: WebhookServer;
let url: string;

interface Reply {
  status: number;
  /** The JSON body, or undefined when it is not JSON. */
  body: any;
  text: string;
  peerCertificate?: X509Certificate;
}

async function call(
  path: string,
  options: {
    body?: string | Buffer;
    client?: { cert: string; key: string } | undefined;
    method?: string;
    contentType?: string;
  } = {},
): Promise<Reply> {
  const r = await httpsCall(`${url}${path}`, {
    ca: pki.ca.cert,
    client: options.client,
    body: options.body,
    method: options.method,
    contentType: options.contentType ?? 'application/json',
  });
  return {
    status: r.status,
    body: r.json,
    text: r.text,
    ...(r.peerCertificate ? { peerCertificate: r.peerCertificate } : {}),
  };
}

/** As kube-apiserver calls a webhook: POST ?timeout=10s with its client certificate. */
function review(
  path: string,
  body: unknown,
  client: { cert: string; key: string } | null = pki.client,
): Promise<Reply> {
  return call(`${path}?timeout=10s`, { body: JSON.stringify(body), client: client ?? undefined });
}

function reviewOf(
  spec: Record<string, unknown>,
  options: Parameters<typeof admissionRequest>[1] = {},
): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: admissionRequest(registrationObject(spec), options),
  };
}

beforeAll(async () => {
  pki = await testPki();
  const claims = new EmailClaims({ store });
  const routes: WebhookRoute[] = [
    ...webshopRoutes({ hasher, claims }),
    {
      path: '/validate/throws',
      webhook: 'throws.test.cnpaas.dev',
      type: 'validating',
      handler: async () => {
        throw new Error('boom');
      },
    },
    {
      path: '/validate/patches',
      webhook: 'patches.test.cnpaas.dev',
      type: 'validating',
      handler: async (request) => allowWithPatch(request, [{ op: 'add', path: '/x', value: 1 }]),
    },
  ];
  server = new WebhookServer({
    tls: { key: pki.server.key, cert: pki.server.cert, clientCa: pki.ca.cert },
    allowedClientNames: ['kube-apiserver-webhook-client'],
    routes,
    log,
  });
  url = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

describe('webhook server over TLS', () => {
  it('serves with a certificate for 127.0.0.1 signed by the CA', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await call('/healthz');
    expect(reply).toMatchObject({ status: 200, text: 'ok' });
    expect(reply.peerCertificate?.checkIssued(new X509Certificate(pki.ca.cert))).toBe(true);
  });

  it('answers a real AdmissionReview from a client with the CA-signed certificate', async () => {
    const body = reviewOf(validRegistrationSpec({ email: 'Grace@Example.com' }));
    (body.request!.object!['spec'] as Record<string, unknown>)['password'] = SECRETS[0];
    const reply = await review(WEBHOOKS.mutateRegistrationRequests.path, body);
    expect(reply.status).toBe(200);
    expect(reply.body.apiVersion).toBe('admission.k8s.io/v1');
    expect(reply.body.kind).toBe('AdmissionReview');
    expect(reply.body.response.uid).toBe(body.request!.uid);
    expect(reply.body.response.allowed).toBe(true);
    expect(reply.body.response.patchType).toBe('JSONPatch');
    const patched = applyAdmissionPatch(body.request!.object!, reply.body.response);
    const spec = patched['spec'] as { password: string; user: { email: string } };
    expect(spec.user.email).toBe('grace@example.com');
    expect(await hasher.verify(SECRETS[0]!, spec.password)).toBe(true);

    // The validating webhook then takes the claim.
    const validated = await review(WEBHOOKS.validateRegistrationRequests.path, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: admissionRequest(patched),
    });
    expect(validated.body.response).toEqual({ uid: expect.any(String), allowed: true });
    expect(store.claims.size).toBe(1);
  });

  it('answers denials as 200 reviews carrying the Status', async () => {
    const body = reviewOf({ ...validRegistrationSpec(), password: SECRETS[1] });
    const reply = await review(WEBHOOKS.mutateRegistrationRequests.path, body);
    expect(reply.status).toBe(200);
    expect(reply.body.response.allowed).toBe(false);
    expect(reply.body.response.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(reply.body.response.status.message).toContain('spec.password: must contain an upper-case letter');
    expect(reply.text).not.toContain(SECRETS[1]);
  });

  it('refuses admission calls without a client certificate', async () => {
    const reply = await review(WEBHOOKS.mutateRegistrationRequests.path, reviewOf(validRegistrationSpec()), null);
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe('CNPAAS_WEBHOOKS_CLIENT_CERT_REQUIRED');
    expect(reply.body.hint).toContain('--admission-control-config-file');
  });

  it('refuses a client certificate from another CA', async () => {
    const reply = await review(WEBHOOKS.validateTenants.path, reviewOf(validRegistrationSpec()), pki.strangerClient);
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe('CNPAAS_WEBHOOKS_CLIENT_CERT_REQUIRED');
  });

  it('refuses a CA-signed certificate whose CN is not allowed', async () => {
    const reply = await review(WEBHOOKS.validateTenants.path, reviewOf(validRegistrationSpec()), pki.otherClient);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({
      code: 'CNPAAS_WEBHOOKS_CLIENT_NOT_ALLOWED',
      message: 'client certificate CN someone-else may not call admission routes',
    });
  });

  it('serves /healthz, /readyz and /metrics without a client certificate', async () => {
    expect(await call('/readyz')).toMatchObject({ status: 200, text: 'ok' });
    const metrics = await call('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(
      'cnpaas_webhook_admission_requests_total{webhook="mutate-registrationrequests.webshop.cnpaas.dev",operation="CREATE",allowed="true",code="200"}',
    );
    expect(metrics.text).toContain('cnpaas_webhook_admission_duration_seconds_bucket');
    expect(metrics.text).toContain(
      'cnpaas_webhook_rejected_requests_total{reason="CNPAAS_WEBHOOKS_CLIENT_CERT_REQUIRED"}',
    );
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const body = reviewOf({ ...validRegistrationSpec(), padding: 'x'.repeat(1024 * 1024) });
    const reply = await review(WEBHOOKS.validateTenants.path, body);
    expect(reply.status).toBe(413);
  });

  it('refuses a body that is not JSON without quoting it', async () => {
    const broken = `{"apiVersion":"admission.k8s.io/v1","request":{"object":{"spec":{"password":"${SECRETS[2]}" oops}}}}`;
    const reply = await call(`${WEBHOOKS.mutateRegistrationRequests.path}?timeout=10s`, {
      body: broken,
      client: pki.client,
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ code: 'CNPAAS_WEBHOOKS_BODY_NOT_JSON', message: 'request body is not valid JSON' });
    expect(reply.text).not.toContain(SECRETS[2]);
  });

  it('refuses JSON that is not an AdmissionReview with 400 and a hint', async () => {
    const reply = await review(WEBHOOKS.validateUsers.path, {
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      request: {},
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('CNPAAS_WEBHOOKS_BAD_REVIEW');
    expect(reply.body.hint).toContain('admissionReviewVersions [v1]');
  });

  it('refuses other content types with 415', async () => {
    const reply = await call(WEBHOOKS.validateUsers.path, {
      body: 'x',
      client: pki.client,
      contentType: 'application/yaml',
    });
    expect(reply.status).toBe(415);
  });

  it('turns a handler failure into a 500 denial, and a patch from a validating webhook too', async () => {
    const body = reviewOf({ ...validRegistrationSpec(), password: SECRETS[3] });
    const thrown = await review('/validate/throws', body);
    expect(thrown.status).toBe(200);
    expect(thrown.body.response).toMatchObject({
      uid: body.request!.uid,
      allowed: false,
      status: { code: 500, reason: 'InternalError' },
    });
    expect(thrown.body.response.status.message).toContain(
      `see the cnpaas-webhooks log for review ${body.request!.uid}`,
    );
    const patched = await review('/validate/patches', reviewOf(validRegistrationSpec()));
    expect(patched.body.response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(patched.body.response.patch).toBeUndefined();
  });

  it('logs one line per admission with ids and outcome, never the body', async () => {
    const admissions = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'admission');
    expect(admissions.length).toBeGreaterThanOrEqual(4);
    const first = admissions[0]!;
    expect(first).toMatchObject({
      component: 'cnpaas-webhooks',
      webhook: 'mutate-registrationrequests.webshop.cnpaas.dev',
      operation: 'CREATE',
      allowed: true,
      code: 200,
      patched: true,
    });
    expect(first).not.toHaveProperty('body');
    expect(first).not.toHaveProperty('patch');
  });

  it('swaps certificates without a restart', async () => {
    const original = pki;
    const before = (await call('/healthz')).peerCertificate!;
    const renewed = await testPki();
    server.setTls({ key: renewed.server.key, cert: renewed.server.cert, clientCa: original.ca.cert });
    pki = { ...original, ca: renewed.ca }; // call() now trusts the new CA
    try {
      const after = (await call('/healthz')).peerCertificate!;
      expect(after.fingerprint256).not.toBe(before.fingerprint256);
      expect(after.checkIssued(new X509Certificate(renewed.ca.cert))).toBe(true);
      // Client certificates are still checked against the client CA.
      expect((await review(WEBHOOKS.validateTenants.path, reviewOf(validRegistrationSpec()), null)).status).toBe(401);
    } finally {
      server.setTls({ key: original.server.key, cert: original.server.cert, clientCa: original.ca.cert });
      pki = original;
    }
  });

  it('never writes a plain password to any log line', () => {
    expect(lines.length).toBeGreaterThan(10);
    const all = lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});

describe('readiness', () => {
  it('is not ready before listening nor after closing', async () => {
    const local = new WebhookServer({
      tls: { key: pki.server.key, cert: pki.server.cert },
      routes: [],
      log: capturingLogger().log,
    });
    expect((await local.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await local.listen({ host: '127.0.0.1', port: 0 });
    expect((await local.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await local.close();
  });

  it('wraps a port in use in CNPAAS_WEBHOOKS_LISTEN', async () => {
    const port = Number(new URL(url).port);
    const local = new WebhookServer({
      tls: { key: pki.server.key, cert: pki.server.cert },
      routes: [],
      log: capturingLogger().log,
    });
    await expect(local.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'CNPAAS_WEBHOOKS_LISTEN' });
    await local.close();
  });
});

describe('decodePatch on a real answer', () => {
  it('is what the apiserver decodes', async () => {
    const reply = await review(
      WEBHOOKS.mutateRegistrationRequests.path,
      reviewOf(validRegistrationSpec({ email: 'x@example.com' })),
    );
    expect(decodePatch(reply.body.response).map((op) => op.path)).toContain('/spec/password');
  });
});
