import { httpsCall } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { messageIdFor } from '../email/message.js';
import { SECRET_BODY, SMTP_PASSWORD, emailObject, useEmailFunction } from '../test-support.js';

let failRcpt = false;
const fn = useEmailFunction({
  faults: { rcptTo: () => (failRcpt ? { code: 451, message: 'try later' } : undefined) },
  sender: { backoff: { initialMs: 20, maxMs: 50 }, deadlineMs: 400 },
  delivery: { retryAfterMs: 7_000 },
  bodyLimit: 64 * 1024,
});

interface Reply {
  status: number;
  /** The JSON body, or the text of a text/plain answer. */
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

async function call(
  path: string,
  options: { body?: unknown; raw?: string; client?: { cert: string; key: string } | null } = {},
): Promise<Reply> {
  const client = options.client === undefined ? fn.pki.trigger : options.client;
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const r = await httpsCall(`${fn.url}${path}`, {
    ca: fn.pki.ca.cert,
    client: client ?? undefined,
    body: payload,
    contentType: 'application/json',
  });
  return { status: r.status, body: r.json === undefined ? r.text : r.json, headers: r.headers };
}

describe('email function server', () => {
  it('serves /healthz, /readyz and /metrics without a client certificate', async () => {
    expect((await call('/healthz', { client: null })).status).toBe(200);
    expect((await call('/readyz', { client: null })).status).toBe(200);
    const metrics = await call('/metrics', { client: null });
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('cnpaas_email_deliveries_total');
  });

  it('rejects POSTs without a client certificate, from another CA, or with another CN', async () => {
    const email = fn.store.put(emailObject());
    expect((await call('/', { body: email, client: null })).status).toBe(401);
    expect((await call('/', { body: email, client: fn.pki.strangerClient })).status).toBe(401);
    expect((await call('/', { body: email, client: fn.pki.otherClient })).status).toBe(403);
    expect(fn.store.peek(email.metadata)!.status).toBeUndefined();
    // Once per refused request: the hook refuses, the error handler counts.
    const metrics = String((await call('/metrics', { client: null })).body);
    expect(metrics).toContain(
      'cnpaas_email_function_rejected_requests_total{reason="CNPAAS_FUNCTIONS_CLIENT_CERT_REQUIRED"} 2',
    );
    expect(metrics).toContain(
      'cnpaas_email_function_rejected_requests_total{reason="CNPAAS_FUNCTIONS_CLIENT_NOT_ALLOWED"} 1',
    );
  });

  it('sends the Email object (200 sent), then answers replays 200 already-sent', async () => {
    const email = fn.store.put(emailObject());
    const first = await call('/', { body: email });
    expect(first).toMatchObject({
      status: 200,
      body: { outcome: 'sent', messageId: messageIdFor(email.metadata.uid) },
    });
    const replay = await call('/email', { body: { type: 'ADDED', object: email } });
    expect(replay).toMatchObject({ status: 200, body: { outcome: 'already-sent' } });
    const received = await fn.sink.mailFor(email);
    expect(received).toHaveLength(1);
  });

  it('accepts a {type, object} event and ignores DELETED', async () => {
    const email = fn.store.put(emailObject());
    expect(await call('/', { body: { type: 'DELETED', object: email } })).toMatchObject({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect(await call('/', { body: { type: 'ADDED', object: email } })).toMatchObject({
      status: 200,
      body: { outcome: 'sent' },
    });
  });

  it('answers 503 with Retry-After on a transient SMTP failure, and the retry sends', async () => {
    const email = fn.store.put(emailObject());
    failRcpt = true;
    const reply = await call('/', { body: email });
    failRcpt = false;
    expect(reply).toMatchObject({ status: 503, body: { outcome: 'retry-later', reason: 'send-failed' } });
    expect(reply.headers['retry-after']).toBe('7');
    expect(await call('/', { body: email })).toMatchObject({ status: 200, body: { outcome: 'sent' } });
  });

  it('answers 503 while another instance holds a live claim', async () => {
    const email = fn.store.put(emailObject());
    await fn.store.claim(email.metadata, email.metadata.resourceVersion!, {
      claimedBy: 'other',
      claimedTimestamp: new Date().toISOString(),
      messageId: 'x',
      conditions: [],
    });
    const reply = await call('/', { body: email });
    expect(reply).toMatchObject({ status: 503, body: { outcome: 'retry-later', reason: 'claimed-elsewhere' } });
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 422 for a body that is not an Email event, 400 for non-JSON, 413 when too large', async () => {
    expect(await call('/', { body: { kind: 'Pod', metadata: { name: 'x', namespace: 'y', uid: 'z' } } })).toMatchObject(
      { status: 422, body: { code: 'CNPAAS_FUNCTIONS_BAD_EVENT' } },
    );
    expect(await call('/', { body: { spec: {} } })).toMatchObject({ status: 422 });
    expect(await call('/', { raw: `{"spec":{"body":"${SECRET_BODY}"` })).toMatchObject({
      status: 400,
      body: { code: 'CNPAAS_FUNCTIONS_BODY_NOT_JSON' },
    });
    expect((await call('/', { body: { pad: 'x'.repeat(70 * 1024) } })).status).toBe(413);
  });

  it('answers 422 for a stored Email that is malformed', async () => {
    const email = fn.store.put(emailObject({ spec: { subject: 'bad\r\nBcc: victim@example.com' } }));
    expect(await call('/', { body: email })).toMatchObject({ status: 422, body: { outcome: 'invalid' } });
  });

  it('never logs a body, a password or a whole recipient address', () => {
    const text = fn.lines.join('\n');
    expect(text).not.toContain(SECRET_BODY);
    expect(text).not.toContain(SMTP_PASSWORD);
    expect(text).not.toMatch(/ada\.\d+@example\.com/);
  });
});
