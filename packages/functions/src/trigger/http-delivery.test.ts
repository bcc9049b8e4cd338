/**
 * The HTTP attempt over real HTTPS with mutual TLS, against a local fastify
 * server that checks the client certificate like the email function does;
 * then the demo's email-trigger manifest against the real email function.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EmailDelivery } from '../claim/exactly-once.js';
import { MemoryEmailStatusStore } from '../claim/memory-status-store.js';
import { manifestPath } from '../component.js';
import { messageIdFor } from '../email/message.js';
import { EmailSender } from '../email/sender.js';
import { EmailFunctionServer } from '../function/server.js';
import { listMail } from '../mail/mail-store.js';
import { SECRET_BODY, capturingLogger, emailObject, startSink, testPki, type TestPki, type TestSink } from '../test-support.js';
import { HttpDeliverer, classifyStatus, parseRetryAfter } from './http-delivery.js';
import { TriggerRunner } from './runner.js';
import { planTrigger } from './spec.js';
import { TriggerStatusWriter } from './status-writer.js';
import type { HTTPTrigger } from './types.js';

let pki: TestPki;
let app: FastifyInstance;
let base: string;
const seen: Array<{ cn: string | undefined; headers: Record<string, unknown>; body: unknown }> = [];

beforeAll(async () => {
  pki = await testPki();
  app = Fastify({ https: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true } });
  app.post('/ok', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    seen.push({ cn: socket.getPeerCertificate().subject?.CN as string | undefined, headers: request.headers, body: request.body });
    return { ok: true };
  });
  app.post('/busy', async (_req, reply) => reply.code(503).header('retry-after', '7').send({ outcome: 'retry-later' }));
  app.post('/invalid', async (_req, reply) => reply.code(422).send({}));
  app.post('/moved', async (_req, reply) => reply.redirect('/ok', 307));
  app.post('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({}), 2_000)));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  base = `https://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await app.close();
});

function deliverer(client: { cert: string; key: string } | null = pki.trigger, ca: string = pki.ca.cert): HttpDeliverer {
  return new HttpDeliverer({ ca, identity: () => client ?? undefined, maxSockets: 2, userAgent: 'cnpaas-trigger/test' });
}

const request = (path: string, extra: Partial<Parameters<HttpDeliverer['send']>[0]> = {}) => ({
  url: `${base}${path}`,
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-cnpaas-event-type': 'ADDED' },
  body: JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } }),
  timeoutMs: 5_000,
  ...extra,
});

describe('HttpDeliverer (HTTPS + mTLS)', () => {
  it('presents the client certificate, sends body and headers; 2xx is delivered', async () => {
    const d = deliverer();
    expect(await d.send(request('/ok'))).toEqual({ result: 'delivered', status: 200 });
    d.close();
    const last = seen.at(-1)!;
    expect(last.cn).toBe('cnpaas-trigger');
    expect(last.body).toEqual({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    expect(last.headers).toMatchObject({ 'x-cnpaas-event-type': 'ADDED', 'user-agent': 'cnpaas-trigger/test', 'content-type': 'application/json' });
  });

  it('classifies answers: 503 + Retry-After retries, 422 and redirects are permanent', async () => {
    const d = deliverer();
    expect(await d.send(request('/busy'))).toEqual({ result: 'retry', reason: 'HTTP 503', status: 503, retryAfterMs: 7_000 });
    expect(await d.send(request('/invalid'))).toEqual({ result: 'permanent', reason: 'HTTP 422', status: 422 });
    expect(await d.send(request('/moved'))).toMatchObject({ result: 'permanent', status: 307, reason: expect.stringMatching(/redirects are not followed/) });
    expect(await d.send(request('/nowhere'))).toMatchObject({ result: 'permanent', status: 404 });
    d.close();
  });

  it('a timeout, a refused connection and an unknown server CA are retryable', async () => {
    const d = deliverer();
    expect(await d.send(request('/slow', { timeoutMs: 200 }))).toEqual({ result: 'retry', reason: 'no answer within 200 ms' });
    expect(await d.send(request('/ok', { url: 'https://127.0.0.1:1/ok' }))).toMatchObject({ result: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) });
    d.close();
    const strangerCa = deliverer(pki.trigger, pki.strangerClient.cert);
    expect(await strangerCa.send(request('/ok'))).toMatchObject({ result: 'retry', reason: expect.stringMatching(/certificate|CERT|verify/i) });
    strangerCa.close();
  });

  it('without a client certificate the server refuses the handshake', async () => {
    const before = seen.length;
    const d = deliverer(null);
    expect((await d.send(request('/ok'))).result).toBe('retry');
    d.close();
    expect(seen.length).toBe(before);
  });

  it('switches to a reloaded client certificate', async () => {
    let identity = pki.otherClient;
    const d = new HttpDeliverer({ ca: pki.ca.cert, identity: () => identity });
    await d.send(request('/ok'));
    identity = pki.trigger;
    await d.send(request('/ok'));
    d.close();
    expect(seen.slice(-2).map((s) => s.cn)).toEqual(['someone-else', 'cnpaas-trigger']);
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
  let sink: TestSink;
  let fn: EmailFunctionServer;
  let fnUrl: string;
  const store = new MemoryEmailStatusStore();
  const { log, lines } = capturingLogger('trace');

  beforeAll(async () => {
    sink = await startSink();
    const sender = new EmailSender({ settings: sink.settings, log, deadlineMs: 2_000 });
    const delivery = new EmailDelivery({ store, sender, log, claimLeaseMs: 5_000 });
    fn = new EmailFunctionServer({ tls: { key: pki.server.key, cert: pki.server.cert, clientCa: pki.ca.cert }, allowedClientNames: ['cnpaas-trigger'], delivery, log });
    fnUrl = await fn.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await fn.close();
    await sink.close();
  });

  it('the manifest\'s template and TLS settings get each Email sent once; replays are already-sent', async () => {
    const text = readFileSync(manifestPath('email-trigger.yaml'), 'utf8')
      .replaceAll('{{EMAIL_FUNCTION_URL}}', `${fnUrl}/email`)
      .replaceAll('{{CA_BUNDLE}}', Buffer.from(pki.ca.cert).toString('base64'));
    const trigger = parse(text) as HTTPTrigger;
    trigger.metadata = { ...trigger.metadata, uid: 'trigger-uid', generation: 1 };
    const planned = planTrigger(trigger, { clusterTriggerNamespaces: ['cnpaas-system'] });
    if (!planned.ok) throw new Error(planned.message);
    const plan = planned.plan;
    const status = new TriggerStatusWriter({ target: { namespace: 'cnpaas-system', name: 'email' }, patcher: { patch: async () => undefined }, initial: {}, generation: 1, fingerprint: plan.fingerprint, streams: [''], intervalMs: 1_000, log });
    const runner = new TriggerRunner({
      plan, trigger, status, log,
      listerWatcherFor: () => { throw new Error('not watching in this test'); },
      sender: new HttpDeliverer({ ca: plan.ca.pem!, identity: () => pki.trigger }),
    });
    const email = store.put(emailObject());
    const event = { type: 'ADDED' as const, object: email, resourceVersion: email.metadata.resourceVersion, synthetic: false };
    const req = runner.request(event);
    // Only what the function reads goes on the wire: no address, subject or body.
    expect(req.body).not.toContain(SECRET_BODY);
    expect(req.body).not.toContain(email.spec.toAddress);
    expect(JSON.parse(req.body!)).toEqual({
      type: 'ADDED',
      object: { apiVersion: 'webshop.cnpaas.dev/v1', kind: 'Email', metadata: { namespace: email.metadata.namespace, name: email.metadata.name, uid: email.metadata.uid, resourceVersion: email.metadata.resourceVersion } },
    });
    const sender = new HttpDeliverer({ ca: plan.ca.pem!, identity: () => pki.trigger });
    expect(await sender.send(req)).toEqual({ result: 'delivered', status: 200 });
    expect(await sender.send(runner.request({ ...event, type: 'MODIFIED' }))).toEqual({ result: 'delivered', status: 200 });
    sender.close();
    const mails = (await listMail(sink.dir)).filter((m) => m.messageId === messageIdFor(email.metadata.uid));
    expect(mails).toHaveLength(1);
    expect(store.peek(email.metadata)!.status?.sentTimestamp).toBeTruthy();
    expect(lines.join('\n')).not.toContain(SECRET_BODY);
  });
});
