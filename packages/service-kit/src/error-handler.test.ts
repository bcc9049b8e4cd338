import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { failureStatus, jsonErrorHandler } from './error-handler.js';
import { TestError, loopbackApp, testError as error, type LoopbackApp } from './test-support.js';

const SECRET = 'Leaked-Pa55word-In-A-Fault';
/** Routes that fail in each way, behind the handler; `rejected` counts by reason. */
async function failing(): Promise<{ app: LoopbackApp; metrics: () => Promise<string> }> {
  const registry = new Registry();
  const rejected = new Counter({
    name: 'cnpaas_test_rejected_total',
    help: 'test',
    labelNames: ['reason'],
    registers: [registry],
  });
  const app = await loopbackApp(
    (fastify) => {
      fastify.setErrorHandler(jsonErrorHandler({ isOwn: (err) => err instanceof TestError, rejected }));
      fastify.get('/own', async () => {
        throw error('CLIENT_NOT_ALLOWED', 'client certificate CN x may not call this', {
          httpStatus: 403,
          hint: 'allowed: y',
        });
      });
      fastify.get('/own-without-status', async () => {
        throw error('TLS', 'no status given', {});
      });
      fastify.get('/fault', async () => {
        throw new Error(`the store said: password=${SECRET}`);
      });
      fastify.post('/', async () => 'ok');
    },
    { bodyLimit: 100 },
  );
  return { app, metrics: () => registry.metrics() };
}

describe('jsonErrorHandler', () => {
  it("answers the package's own errors with their status, code, message and hint, and counts them", async () => {
    const { app, metrics } = await failing();
    const reply = await fetch(`${app.url}/own`);
    expect([reply.status, await reply.json()]).toEqual([
      403,
      { code: 'TEST_CLIENT_NOT_ALLOWED', message: 'client certificate CN x may not call this', hint: 'allowed: y' },
    ]);
    const unset = await fetch(`${app.url}/own-without-status`);
    expect([unset.status, await unset.json()]).toEqual([500, { code: 'TEST_TLS', message: 'no status given' }]);
    expect(await metrics()).toContain('cnpaas_test_rejected_total{reason="TEST_CLIENT_NOT_ALLOWED"} 1');
  });

  it('answers any other error with 500 and a fixed text, and logs what failed', async () => {
    const { app } = await failing();
    const reply = await fetch(`${app.url}/fault`);
    const text = await reply.text();
    expect([reply.status, JSON.parse(text)]).toEqual([500, { code: 'INTERNAL', message: 'internal error' }]);
    expect(text).not.toContain(SECRET);
    const logged = app.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['msg'] === 'request failed');
    expect(logged).toMatchObject({ level: 50, statusCode: 500, err: expect.stringContaining('the store said') });
  });

  it("passes fastify's own refusals on with their status and fixed text, and counts a body over the limit", async () => {
    const { app, metrics } = await failing();
    const large = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `${SECRET}${'x'.repeat(200)}`,
    });
    const text = await large.text();
    expect(large.status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(text).not.toContain(SECRET);
    const unsupported = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-unknown' },
      body: 'x',
    });
    expect([unsupported.status, ((await unsupported.json()) as { code: string }).code]).toEqual([
      415,
      'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    ]);
    expect(await metrics()).toContain('cnpaas_test_rejected_total{reason="BODY_TOO_LARGE"} 1');
    expect(app.lines.join('\n')).not.toContain(SECRET);
  });
});

describe('failureStatus', () => {
  it("keeps fastify's 4xx and makes anything else a 500", () => {
    expect(failureStatus(Object.assign(new Error('x'), { statusCode: 415 }))).toBe(415);
    expect(failureStatus(Object.assign(new Error('x'), { statusCode: 302 }))).toBe(500);
    expect(failureStatus(new Error('x'))).toBe(500);
  });
});
