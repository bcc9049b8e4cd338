import { describe, expect, it } from 'vitest';
import { parseJsonBodies } from './json-body.js';
import { serveJson } from './json-server.js';
import { TestError, loopbackApp, testError as error, type LoopbackApp } from './test-support.js';

const SECRET = 'Pa55word-In-A-Broken-Body';
function echo(): Promise<LoopbackApp> {
  return loopbackApp((fastify) => {
    serveJson(fastify, { error, isOwn: (err) => err instanceof TestError, rejected: { inc: () => undefined } });
    fastify.post('/', async (request) => ({ got: request.body }));
  });
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('parseJsonBodies (through serveJson)', () => {
  it('parses a JSON body', async () => {
    const app = await echo();
    const reply = await post(app.url, '{"a":[1,"two"]}');
    expect([reply.status, await reply.json()]).toEqual([200, { got: { a: [1, 'two'] } }]);
  });

  it('answers a body that is not JSON with 400 and a fixed message, quoting it neither in the answer nor in the log', async () => {
    const app = await echo();
    const reply = await post(app.url, `{"user":"ada","password":"${SECRET}" oops}`);
    const text = await reply.text();
    expect(reply.status).toBe(400);
    expect(JSON.parse(text)).toEqual({ code: 'TEST_BODY_NOT_JSON', message: 'request body is not valid JSON' });
    expect(text).not.toContain(SECRET);
    expect(app.lines.join('\n')).toContain('TEST_BODY_NOT_JSON');
    expect(app.lines.join('\n')).not.toContain(SECRET);
  });

  it('refuses an empty JSON body the same way', async () => {
    const app = await echo();
    const reply = await post(app.url, '');
    expect([reply.status, await reply.json()]).toEqual([
      400,
      { code: 'TEST_BODY_NOT_JSON', message: 'request body is not valid JSON' },
    ]);
  });
});

describe('parseJsonBodies with anyContentType', () => {
  it('reads a body of any Content-Type as JSON, as kubectl create --raw sends it', async () => {
    const app = await loopbackApp((fastify) => {
      parseJsonBodies(fastify, { error, anyContentType: true });
      fastify.post('/', async (request) => ({ got: request.body }));
    });
    for (const type of ['application/vnd.kubernetes.protobuf', 'application/json']) {
      const reply = await fetch(app.url, { method: 'POST', headers: { 'content-type': type }, body: '{"a":1}' });
      expect([reply.status, await reply.json()]).toEqual([200, { got: { a: 1 } }]);
    }
  });
});
