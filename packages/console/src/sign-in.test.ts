import { afterEach, describe, expect, it } from 'vitest';
import { TENANTS, USERS } from './resources.js';
import { statusAnswer, testConsole, type TestConsole } from './test-support.js';

let open: TestConsole[] = [];
function start(): TestConsole {
  const c = testConsole();
  open.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

const PERSON = 'person-token-abc';

describe('verification through the console', () => {
  it('forwards the token as a Verification and says what came of it, per status', async () => {
    const c = start();
    const cases: Array<[number, string]> = [
      [201, 'verified'],
      [409, 'used'],
      [410, 'expired'],
      [400, 'invalid'],
      [404, 'gone'],
      [503, 'unavailable'],
    ];
    for (const [status, outcome] of cases) {
      c.kube.verifyAnswer = { status, body: { kind: 'Status', message: `said ${status}` } };
      const res = await c.server.app.inject({ method: 'POST', url: '/api/verifications', payload: { token: 'a.b' } });
      expect(res.json()).toMatchObject({ outcome });
      if (outcome !== 'verified') expect(res.json().message).toBe(`said ${status}`);
    }
    expect(c.kube.verified[0]).toEqual({
      apiVersion: 'api.webshop.cnpaas.dev/v1',
      kind: 'Verification',
      spec: { token: 'a.b' },
    });
  });

  it('refuses a body without a token before asking anyone', async () => {
    const c = start();
    const res = await c.server.app.inject({ method: 'POST', url: '/api/verifications', payload: { token: '' } });
    expect(res.statusCode).toBe(400);
    expect(c.kube.verified).toEqual([]);
  });
});

describe('sign-in through the console', () => {
  it('a wrong address or password (the API server’s Login 401) reaches the browser as 403 with its message', async () => {
    const c = start();
    c.kube.loginAnswer = statusAnswer(401, {
      message: 'the email address or the password is not right',
      details: { kind: 'Login' },
    });
    const res = await c.server.app.inject({
      method: 'POST',
      url: '/api/logins',
      payload: { email: 'a@example.com', password: 'x' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ message: 'the email address or the password is not right', reason: 'LoginFailed' });
    // A 401 without details.kind Login is kube-apiserver refusing the console itself: a bad gateway.
    c.kube.loginAnswer = statusAnswer(401, { message: 'Unauthorized' });
    const own = await c.server.app.inject({
      method: 'POST',
      url: '/api/logins',
      payload: { email: 'a@example.com', password: 'x' },
    });
    expect(own.statusCode).toBe(502);
  });

  it('success hands the token to the browser, uncached', async () => {
    const c = start();
    const status = {
      token: 'tok',
      expirationTimestamp: '2030-01-01T00:10:00Z',
      user: { namespace: 't-a', name: 't-a' },
      tenant: 't-a',
    };
    c.kube.loginAnswer = { status: 201, body: { kind: 'Login', status } };
    const res = await c.server.app.inject({
      method: 'POST',
      url: '/api/logins',
      payload: { email: 'a@example.com', password: 'x' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.json()).toEqual(status);
  });

  it('GET /api/me reads the person’s own objects with their token; another tenant is refused by the API as them', async () => {
    const c = start();
    c.kube.collection(TENANTS).put({ metadata: { name: 't-a' }, spec: { companyName: 'A' } });
    c.kube.collection(USERS).put({
      metadata: { name: 't-a', namespace: 't-a', annotations: { 'webshop.cnpaas.dev/password': '$argon2id$x' } },
      spec: { email: 'a@example.com' },
    });
    c.kube.people.set(PERSON, {
      username: 'system:serviceaccount:t-a:t-a',
      may: new Set(['users/t-a/t-a', 'tenants//t-a', 'namespaces//t-a']),
    });
    const me = await c.server.app.inject({ url: '/api/me', headers: { 'x-user-token': PERSON } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      username: 'system:serviceaccount:t-a:t-a',
      user: { status: 200, object: { metadata: { name: 't-a' } } },
      tenant: { status: 200, object: { spec: { companyName: 'A' } } },
      namespace: { status: 200 },
    });
    expect(me.body).not.toContain('$argon2id$');
    expect(c.kube.userReads.every((r) => r.startsWith(`${PERSON}:`))).toBe(true);

    const other = await c.server.app.inject({ url: '/api/me/tenants/t-b', headers: { 'x-user-token': PERSON } });
    expect(other.json()).toMatchObject({ status: 403, message: expect.stringContaining('forbidden') as unknown });
  });

  it('without a token, or with one the API does not accept, the person is told to sign in again', async () => {
    const c = start();
    const none = await c.server.app.inject({ url: '/api/me' });
    expect(none.statusCode).toBe(403);
    expect(none.json().code).toBe('CNPAAS_CONSOLE_SIGNED_OUT');
    const stale = await c.server.app.inject({ url: '/api/me', headers: { 'x-user-token': 'expired' } });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('CNPAAS_CONSOLE_SIGNED_OUT');
  });
});
