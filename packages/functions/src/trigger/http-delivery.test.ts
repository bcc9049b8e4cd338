/**
 * The HTTP attempt over real HTTPS, against a local fastify server that
 * records which client certificate, if any, arrived; which targets are
 * refused before any connection; then the demo's email-trigger manifest
 * against the real email function.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestPath } from '../component.js';
import { SECRET_BODY, emailObject, testPki, useEmailFunction, type TestPki } from '../test-support.js';
import { loadDeliveryTls } from './delivery-tls.js';
import { HttpDeliverer, classifyStatus, parseRetryAfter, type DeliveryTls } from './http-delivery.js';
import { TriggerRunner } from './runner.js';
import { planTrigger } from './spec.js';
import { TriggerStatusWriter } from './status-writer.js';
import { guardedLookup, targetPolicy, type TargetPolicy } from './target-policy.js';
import type { HTTPTrigger } from './types.js';

let pki: TestPki;
let app: FastifyInstance;
let base: string;
let allowed: TargetPolicy;
/** TCP connections the server accepted: a refused target must not add one. */
let connections = 0;
const seen: Array<{
  cn: string | undefined;
  authorized: boolean;
  issuer: string | undefined;
  headers: Record<string, unknown>;
  body: unknown;
}> = [];

beforeAll(async () => {
  pki = await testPki();
  // Asks for a client certificate but takes requests without one, so the test sees what arrived.
  app = Fastify({
    https: {
      key: pki.server.key,
      cert: pki.server.cert,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    },
  });
  app.server.on('connection', () => connections++);
  app.post('/ok', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    seen.push({
      cn: peer.subject?.CN as string | undefined,
      authorized: socket.authorized,
      issuer: peer.issuer?.CN as string | undefined,
      headers: request.headers,
      body: request.body,
    });
    return { ok: true };
  });
  app.post('/busy', async (_req, reply) => reply.code(503).header('retry-after', '7').send({ outcome: 'retry-later' }));
  app.post('/invalid', async (_req, reply) => reply.code(422).send({}));
  app.post('/moved', async (_req, reply) => reply.redirect('/ok', 307));
  app.post('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({}), 2_000)));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  base = `https://127.0.0.1:${address.port}`;
  allowed = targetPolicy({ allow: [`127.0.0.1:${address.port}`] });
});
afterAll(async () => {
  await app.close();
});

function deliverer(
  client: { cert: string; key: string } | null = pki.trigger,
  ca: string = pki.ca.cert,
  targets: TargetPolicy = allowed,
): HttpDeliverer {
  return new HttpDeliverer({
    targets,
    tls: () => ({ ca, ...(client ? { cert: client.cert, key: client.key } : {}) }),
    maxSockets: 2,
    userAgent: 'cnpaas-trigger/test',
  });
}

const request = (path: string, extra: Partial<Parameters<HttpDeliverer['send']>[0]> = {}) => ({
  url: `${base}${path}`,
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-cnpaas-event-type': 'ADDED' },
  body: JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } }),
  timeoutMs: 5_000,
  ...extra,
});

describe('HttpDeliverer (HTTPS, optional mTLS)', () => {
  it('presents the certificate it was given, sends body and headers; 2xx is delivered', async () => {
    const d = deliverer();
    expect(await d.send(request('/ok'))).toEqual({ result: 'delivered', status: 200 });
    d.close();
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ cn: 'cnpaas-trigger', authorized: true });
    expect(last.body).toEqual({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    expect(last.headers).toMatchObject({
      'x-cnpaas-event-type': 'ADDED',
      'user-agent': 'cnpaas-trigger/test',
      'content-type': 'application/json',
    });
  });

  it('classifies answers: 503 + Retry-After retries, 422 and redirects are permanent', async () => {
    const d = deliverer();
    expect(await d.send(request('/busy'))).toEqual({
      result: 'retry',
      reason: 'HTTP 503',
      status: 503,
      retryAfterMs: 7_000,
    });
    expect(await d.send(request('/invalid'))).toEqual({ result: 'permanent', reason: 'HTTP 422', status: 422 });
    expect(await d.send(request('/moved'))).toMatchObject({
      result: 'permanent',
      status: 307,
      reason: expect.stringMatching(/redirects are not followed/),
    });
    expect(await d.send(request('/nowhere'))).toMatchObject({ result: 'permanent', status: 404 });
    d.close();
  });

  it('a timeout, a refused connection and an unknown server CA are retryable', async () => {
    const d = deliverer(pki.trigger, pki.ca.cert, targetPolicy({ allow: [new URL(base).host, '127.0.0.1:1'] }));
    expect(await d.send(request('/slow', { timeoutMs: 200 }))).toEqual({
      result: 'retry',
      reason: 'no answer within 200 ms',
    });
    expect(await d.send(request('/ok', { url: 'https://127.0.0.1:1/ok' }))).toMatchObject({
      result: 'retry',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
    d.close();
    const strangerCa = deliverer(pki.trigger, pki.strangerClient.cert);
    expect(await strangerCa.send(request('/ok'))).toMatchObject({
      result: 'retry',
      reason: expect.stringMatching(/certificate|CERT|verify/i),
    });
    strangerCa.close();
  });

  it('without a client certificate given, presents none at all', async () => {
    const d = deliverer(null);
    expect(await d.send(request('/ok'))).toEqual({ result: 'delivered', status: 200 });
    d.close();
    expect(seen.at(-1)).toMatchObject({ cn: undefined, issuer: undefined, authorized: false });
  });

  it('switches to a rotated client certificate', async () => {
    let tls: DeliveryTls = { ca: pki.ca.cert, cert: pki.otherClient.cert, key: pki.otherClient.key };
    const d = new HttpDeliverer({ targets: allowed, tls: () => tls });
    await d.send(request('/ok'));
    tls = { ca: pki.ca.cert, cert: pki.trigger.cert, key: pki.trigger.key };
    await d.send(request('/ok'));
    d.close();
    expect(seen.slice(-2).map((s) => s.cn)).toEqual(['someone-else', 'cnpaas-trigger']);
  });

  it("never connects to a loopback target that is not allow-listed, nor to the apiserver's address", async () => {
    const before = connections;
    const strict = deliverer(pki.trigger, pki.ca.cert, targetPolicy());
    const refused = await strict.send(request('/ok'));
    expect(refused).toMatchObject({
      result: 'permanent',
      reason: expect.stringMatching(
        /^refused: 127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback address; .*--allow-target 127\.0\.0\.1:\d+/,
      ),
    });
    for (const url of [
      base.replace('127.0.0.1', 'localhost'),
      base.replace('127.0.0.1', '[::1]'),
      base.replace('127.0.0.1', '0.0.0.0'),
      base.replace('127.0.0.1', '[::ffff:127.0.0.1]'),
    ]) {
      expect(await strict.send(request('/ok', { url: `${url}/ok` })), url).toMatchObject({
        result: 'permanent',
        reason: expect.stringMatching(/^refused: /),
      });
    }
    strict.close();
    // The apiserver is refused by its address even when that is not loopback (no connection is tried).
    const apiserver = deliverer(null, pki.ca.cert, targetPolicy({ apiserverUrl: 'https://10.0.0.1:6443' }));
    expect(await apiserver.send(request('/ok', { url: 'https://10.0.0.1:6443/api/v1/namespaces' }))).toMatchObject({
      result: 'permanent',
      reason: expect.stringContaining("10.0.0.1:6443: the kube-apiserver's own address"),
    });
    expect(await apiserver.send(request('/ok', { url: 'https://kubernetes.default.svc/apis' }))).toMatchObject({
      result: 'permanent',
      reason: expect.stringContaining('in-cluster name'),
    });
    apiserver.close();
    expect(connections).toBe(before);
  });

  it('refuses a host name that resolves to loopback when it connects, before sending a byte', async () => {
    const policy = targetPolicy();
    const refusal = await new Promise<Error | null>((resolve) =>
      guardedLookup(policy, new URL('https://localhost:1/'))('localhost', {}, (err) => resolve(err)),
    );
    expect(refusal).toMatchObject({
      code: 'CNPAAS_FUNCTIONS_TARGET_REFUSED',
      message: expect.stringMatching(/localhost resolves to (127\.0\.0\.1|::1) is a loopback address/),
    });
    // This machine's own name, when it resolves to loopback (as /etc/hosts often makes it), is not caught by the URL alone.
    const name = hostname().toLowerCase();
    const address = (await lookup(name).catch(() => undefined))?.address;
    if (address?.startsWith('127.') || address === '::1') {
      const before = connections;
      const d = deliverer(null, pki.ca.cert, policy);
      const url = `https://${name}:${new URL(base).port}/ok`;
      expect(await d.send(request('/ok', { url }))).toMatchObject({
        result: 'permanent',
        reason: expect.stringMatching(new RegExp(`^refused: .*${name} resolves to .* is a loopback address`)),
      });
      d.close();
      expect(connections).toBe(before);
    }
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('12')).toBe(12_000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(classifyStatus(429).result).toBe('retry');
    expect(classifyStatus(408).result).toBe('retry');
    expect(classifyStatus(204).result).toBe('delivered');
    expect(classifyStatus(401).result).toBe('permanent');
  });
});

describe('the demo email trigger against the real email function', () => {
  /** The function's own PKI (apart from the cluster CA pki.ca) signs its serving and the trigger's delivery certificate. */
  const fn = useEmailFunction({ sender: { deadlineMs: 2_000 } });

  /** The two manifests as cnpaas up fills them. */
  function manifests(): {
    trigger: HTTPTrigger;
    secret: { metadata: { name: string; namespace: string }; data: Record<string, string> };
  } {
    const fill = (file: string): string =>
      readFileSync(manifestPath(file), 'utf8')
        .replaceAll('{{EMAIL_FUNCTION_URL}}', `${fn.url}/email`)
        .replaceAll('{{CA_BUNDLE}}', Buffer.from(fn.pki.ca.cert).toString('base64'))
        .replaceAll('{{DELIVERY_TLS_CRT}}', Buffer.from(fn.pki.trigger.cert).toString('base64'))
        .replaceAll('{{DELIVERY_TLS_KEY}}', Buffer.from(fn.pki.trigger.key).toString('base64'));
    const trigger = parse(fill('email-trigger.yaml')) as HTTPTrigger;
    trigger.metadata = { ...trigger.metadata, uid: 'trigger-uid', generation: 1 };
    return { trigger, secret: parse(fill('email-trigger-delivery-secret.yaml')) };
  }

  it("the manifest's template and TLS settings get each Email sent once with the delivery certificate; replays are already-sent", async () => {
    // The trigger logs into the function's lines too: neither may log the body.
    const { store, log, lines } = fn;
    const { trigger, secret } = manifests();
    const planned = planTrigger(trigger, {
      clusterTriggerNamespaces: ['cnpaas-system'],
      targets: targetPolicy({ allow: [new URL(fn.url).host] }),
    });
    if (!planned.ok) throw new Error(planned.message);
    const plan = planned.plan;
    expect(plan.clientSecret).toEqual({ namespace: 'cnpaas-system', name: secret.metadata.name });
    // The Secret as the apiserver would hand it over (data base64-decoded).
    const loaded = await loadDeliveryTls(plan, async (ref) =>
      ref.namespace === secret.metadata.namespace && ref.name === secret.metadata.name
        ? Object.fromEntries(
            Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
          )
        : undefined,
    );
    if (!loaded.ok) throw new Error(loaded.message);
    const status = new TriggerStatusWriter({
      target: { namespace: 'cnpaas-system', name: 'email' },
      patcher: { patch: async () => undefined },
      initial: {},
      generation: 1,
      fingerprint: plan.fingerprint,
      streams: [''],
      intervalMs: 1_000,
      log,
    });
    const targets = targetPolicy({ allow: [new URL(fn.url).host] });
    const runner = new TriggerRunner({
      plan,
      trigger,
      status,
      log,
      listerWatcherFor: () => {
        throw new Error('not watching in this test');
      },
      sender: new HttpDeliverer({ targets, tls: () => loaded.tls }),
    });
    const email = store.put(emailObject());
    const event = {
      type: 'ADDED' as const,
      object: email,
      resourceVersion: email.metadata.resourceVersion,
      synthetic: false,
    };
    const req = runner.request(event);
    // Only what the function reads goes on the wire: no address, subject or body.
    expect(req.body).not.toContain(SECRET_BODY);
    expect(req.body).not.toContain(email.spec.toAddress);
    expect(JSON.parse(req.body!)).toEqual({
      type: 'ADDED',
      object: {
        apiVersion: 'webshop.cnpaas.dev/v1',
        kind: 'Email',
        metadata: {
          namespace: email.metadata.namespace,
          name: email.metadata.name,
          uid: email.metadata.uid,
          resourceVersion: email.metadata.resourceVersion,
        },
      },
    });
    // A certificate from the cluster CA (what the trigger's apiserver identity is) gets nowhere with the function.
    const clusterIdentity = new HttpDeliverer({
      targets,
      tls: () => ({ ca: fn.pki.ca.cert, cert: pki.trigger.cert, key: pki.trigger.key }),
    });
    expect(await clusterIdentity.send(req)).toMatchObject({ result: 'permanent', status: 401 });
    clusterIdentity.close();
    const sender = new HttpDeliverer({ targets, tls: () => loaded.tls });
    expect(await sender.send(req)).toEqual({ result: 'delivered', status: 200 });
    expect(await sender.send(runner.request({ ...event, type: 'MODIFIED' }))).toEqual({
      result: 'delivered',
      status: 200,
    });
    sender.close();
    const mails = await fn.sink.mailFor(email);
    expect(mails).toHaveLength(1);
    expect(store.peek(email.metadata)!.status?.sentTimestamp).toBeTruthy();
    expect(lines.join('\n')).not.toContain(SECRET_BODY);
  });

  it("without the allow-list the demo trigger's loopback target is not run at all", () => {
    const planned = planTrigger(manifests().trigger, { clusterTriggerNamespaces: ['cnpaas-system'] });
    expect(planned).toMatchObject({
      ok: false,
      reason: 'TargetNotAllowed',
      message: expect.stringMatching(/127\.0\.0\.1 is a loopback address; .*--allow-target .*never called/),
    });
  });
});
