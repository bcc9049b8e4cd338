import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { ConsoleServer } from './server.js';
import { statusAnswer, testConsole, type TestConsole } from './test-support.js';
import type { Inbox } from './inbox.js';
import { EMAILS, TENANTS, USERS } from './resources.js';
import { REGISTRATION_REQUEST_RESOURCE, REGISTRATION_UID_LABEL } from '@cnpaas/webshop-api';
import { resourceKey } from './fabric.js';

const HASH = '$scrypt$ln=15,r=8,p=3$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const TOKEN = 'a-console-token-of-enough-length';

let open: TestConsole[] = [];
function start(options: Parameters<typeof testConsole>[0] = {}): TestConsole {
  const c = testConsole(options);
  open.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
});

function seedTenant(c: TestConsole): void {
  c.kube.collection(TENANTS).put({
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'Tenant',
    metadata: { name: 't-abc', uid: 'u-tenant' },
    spec: { companyName: 'Analytical Engines', country: 'GB' },
  });
  c.kube.collection(USERS).put({
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'User',
    metadata: {
      name: 't-abc',
      namespace: 't-abc',
      uid: 'u-user',
      annotations: { 'webshop.cnpaas.dev/password': HASH },
    },
    spec: { firstName: 'Ada', email: 'ada@example.com' },
    status: { passwordRef: { name: 't-abc-password' } },
  });
  c.kube.collection(EMAILS).put({
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'Email',
    metadata: { name: 't-abc-welcome', namespace: 't-abc', uid: 'u-email' },
    spec: { toAddress: 'ada@example.com', subject: 'Welcome' },
  });
}

describe('no password or hash reaches the browser', () => {
  it('GET /api/tenants/:name answers the tenant, its users and emails without the hash', async () => {
    const c = start();
    seedTenant(c);
    const res = await c.server.app.inject({ url: '/api/tenants/t-abc' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.tenant.spec.companyName).toBe('Analytical Engines');
    expect(body.users.map((u: any) => u.metadata.name)).toEqual(['t-abc']);
    expect(body.emails.map((e: any) => e.spec.subject)).toEqual(['Welcome']);
    expect(res.body).not.toContain('$scrypt$');
    expect(res.body).not.toContain('webshop.cnpaas.dev/password');
  });

  it('strips spec.password from the registrations API’s answer', async () => {
    const c = start();
    c.kube.answer = {
      status: 201,
      body: {
        kind: 'Registration',
        metadata: { name: 'reg-1' },
        spec: { password: HASH, user: { email: 'ada@example.com' } },
        status: { tenant: 't-abc', namespace: 't-abc', user: 't-abc', email: 't-abc-welcome' },
      },
    };
    const res = await c.server.app.inject({
      method: 'POST',
      url: '/api/registrations',
      payload: { user: { firstName: 'Ada' }, password: 'Analytical-Engine-1843!', tenant: {} },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().status.tenant).toBe('t-abc');
    expect(res.body).not.toContain('$scrypt$');
    expect(res.body).not.toContain('Analytical-Engine-1843!');
    expect((c.kube.registered[0] as any).spec.password).toBe('Analytical-Engine-1843!');
  });

  it('strips hashes from the data fabric snapshot', async () => {
    const c = start();
    seedTenant(c);
    c.fabric.start();
    await waitFor(async () => (await c.server.app.inject({ url: '/api/fabric' })).json().objects.length === 3);
    const res = await c.server.app.inject({ url: '/api/fabric' });
    const snapshot = res.json();
    expect(snapshot.backends).toEqual(['main', 'tenants', 'users', 'emails']);
    const byKind = Object.fromEntries(snapshot.objects.map((o: any) => [o.kind, o.backend]));
    expect(byKind).toEqual({ Tenant: 'tenants', User: 'users', Email: 'emails' });
    expect(res.body).not.toContain('$scrypt$');
  });
});

describe('GET /api/tenants/:name/timeline', () => {
  const RR_UID = '92e52ff7-6f92-4a51-8a3e-0123456789ab';
  const at = (s: number): string => new Date(Date.UTC(2026, 11, 5, 10, 0, s)).toISOString();

  it('builds the steps from the RegistrationRequest the console saw, the children and the Events', async () => {
    const c = start();
    const rrs = c.kube.collections.get(resourceKey(REGISTRATION_REQUEST_RESOURCE))!;
    c.fabric.start();
    // The memory collection keeps no history to resume from: write only once the fabric's watch is open.
    await waitFor(async () => rrs.watching);
    rrs.put({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'RegistrationRequest',
      metadata: { name: 'ada', uid: RR_UID, creationTimestamp: at(0) as unknown as Date },
      spec: { password: HASH },
      status: {
        conditions: [
          { type: 'TenantCreated', status: 'True', reason: 'Created', message: '', lastTransitionTime: at(1) },
        ],
      },
    } as never);
    await waitFor(async () => c.history.get(RR_UID) !== undefined);
    rrs.remove('ada');
    await waitFor(async () => c.history.get(RR_UID)?.deletedAt !== undefined);
    c.kube.collection(TENANTS).put({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'Tenant',
      metadata: { name: 't-92e52ff76f92', uid: 'u-tenant', labels: { [REGISTRATION_UID_LABEL]: RR_UID } },
      spec: {},
    } as never);
    // Another registration's User in the same namespace is not this registration's step.
    c.kube.collection(USERS).put({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'User',
      metadata: { name: 'other', namespace: 't-92e52ff76f92', uid: 'u-other', creationTimestamp: at(3) as never },
      spec: {},
    } as never);
    c.kube.eventList.push({
      reason: 'NamespaceCreated',
      eventTime: at(2),
      involvedObject: { kind: 'Tenant', name: 't-92e52ff76f92' },
    });

    const res = await c.server.app.inject({ url: '/api/tenants/t-92e52ff76f92/timeline' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.registrationUid).toBe(RR_UID);
    const steps = Object.fromEntries(body.steps.map((s: any) => [s.id, s]));
    expect(steps.request).toMatchObject({ state: 'done', time: at(0) });
    expect(steps.tenant).toMatchObject({ state: 'done', time: at(1), mark: 'condition TenantCreated=True (Created)' });
    expect(steps.namespace).toMatchObject({ state: 'done', time: at(2), mark: 'Event NamespaceCreated' });
    expect(steps.user).toMatchObject({ state: 'waiting' });
    expect(steps.deleted).toMatchObject({ state: 'done', mark: 'DELETED watch event' });
    expect(c.kube.reads).toContain('events/default/Tenant/t-92e52ff76f92');
    expect(res.body).not.toContain('$scrypt$');
  });

  it('answers 404 for a tenant that does not exist, and 400 for a bad name before any read', async () => {
    const c = start();
    expect((await c.server.app.inject({ url: '/api/tenants/t-nothing/timeline' })).statusCode).toBe(404);
    const reads = c.kube.reads.length;
    const bad = await c.server.app.inject({ url: '/api/tenants/..%2F..%2Fsecrets/timeline' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('CNPAAS_CONSOLE_BAD_NAME');
    expect(c.kube.reads.length).toBe(reads);
  });
});

describe('names from the URL', () => {
  it.each(['T-ABC', 'a..b', '..%2F..%2Fsecrets', 'x'.repeat(64), '-a', 'a.b'])(
    'refuses the tenant %j with 400 before any kube request',
    async (name) => {
      const c = start();
      const res = await c.server.app.inject({ url: `/api/tenants/${name}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('CNPAAS_CONSOLE_BAD_NAME');
      expect(c.kube.reads).toEqual([]);
    },
  );

  it('answers 404 for a valid name that does not exist', async () => {
    const c = start();
    const res = await c.server.app.inject({ url: '/api/tenants/t-nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('CNPAAS_CONSOLE_NOT_FOUND');
  });

  it('refuses a mail id that is not the SMTP sink’s shape before reading anything', async () => {
    const reads: string[] = [];
    const inbox: Inbox = {
      list: async () => [],
      read: async (id) => {
        reads.push(id);
        throw new Error('unreachable');
      },
    };
    const c = start({ inbox });
    for (const id of ['..%2Fstate.json', '20260101T120000123Z-0001-zzzzzzzz']) {
      const res = await c.server.app.inject({ url: `/api/mail/${id}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('CNPAAS_CONSOLE_BAD_NAME');
    }
    expect(reads).toEqual([]);
  });
});

describe('who may call', () => {
  it('refuses to start off loopback without a token, in parseConfig and in the server', () => {
    expect(() => parseConfig(['--host', '0.0.0.0', '--kubeconfig', '/k'], {})).toThrow(
      expect.objectContaining({
        code: 'CNPAAS_CONSOLE_TOKEN_REQUIRED',
        message: expect.stringMatching(/without a bearer token/),
      }),
    );
    expect(() => start({ host: '192.0.2.10' })).toThrow(
      expect.objectContaining({ code: 'CNPAAS_CONSOLE_TOKEN_REQUIRED' }),
    );
    expect(() => start({ host: '0.0.0.0', token: 'short' })).toThrow(
      expect.objectContaining({ code: 'CNPAAS_CONSOLE_TOKEN_REQUIRED' }),
    );
    expect(parseConfig(['--host', '0.0.0.0', '--kubeconfig', '/k'], { CNPAAS_CONSOLE_TOKEN: TOKEN })).toMatchObject({
      host: '0.0.0.0',
      token: TOKEN,
    });
    expect(parseConfig(['--kubeconfig', '/k'], {})).toMatchObject({ host: '127.0.0.1', token: undefined });
  });

  it('off loopback, answers the API only with the bearer token or the session cookie it hands out', async () => {
    const c = start({ host: '0.0.0.0', token: TOKEN });
    const app = c.server.app;
    const denied = await app.inject({ url: '/api/config' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().code).toBe('CNPAAS_CONSOLE_UNAUTHORIZED');
    expect(
      (await app.inject({ url: '/api/config', headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
        .statusCode,
    ).toBe(401);
    const ok = await app.inject({ url: '/api/config', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().tokenRequired).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/session', payload: { token: 'nope' } })).statusCode).toBe(
      401,
    );
    const session = await app.inject({ method: 'POST', url: '/api/session', payload: { token: TOKEN } });
    expect(session.statusCode).toBe(200);
    const cookie = String(session.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const withCookie = await app.inject({ url: '/api/fabric', headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.statusCode).toBe(200);
    // Health stays open, as on every cnpaas server.
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('on loopback, refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const c = start();
    const res = await c.server.app.inject({ url: '/api/config', headers: { host: 'attacker.example:8090' } });
    expect(res.statusCode).toBe(421);
    expect(res.json().code).toBe('CNPAAS_CONSOLE_HOST_NOT_ALLOWED');
    expect((await c.server.app.inject({ url: '/api/config', headers: { host: '127.0.0.1:8090' } })).statusCode).toBe(
      200,
    );
  });

  it('sends a Content-Security-Policy that allows no inline script', async () => {
    const c = start();
    const res = await c.server.app.inject({ url: '/api/config' });
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('POST /api/registrations', () => {
  it('answers a refusal with its messages per form field and at the top', async () => {
    const c = start();
    c.kube.answer = statusAnswer(422, {
      reason: 'Invalid',
      message: 'admission webhook denied the request: spec.password: must contain a digit',
      details: {
        causes: [
          { reason: 'FieldValueInvalid', field: 'spec.password', message: 'must contain a digit' },
          { reason: 'FieldValueInvalid', field: 'metadata.labels', message: 'not allowed' },
        ],
      },
    });
    const res = await c.server.app.inject({ method: 'POST', url: '/api/registrations', payload: { password: 'weak' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().refusal).toEqual({
      code: 422,
      reason: 'Invalid',
      fields: { password: ['must contain a digit'] },
      form: ['metadata.labels: not allowed'],
    });
  });

  it('passes a 429 on with its Retry-After, and turns kube-apiserver’s 401 for the console itself into a 502', async () => {
    const c = start();
    c.kube.answer = statusAnswer(429, {
      reason: 'TooManyRequests',
      message: 'too many registrations',
      retryAfter: '12',
    });
    const limited = await c.server.app.inject({ method: 'POST', url: '/api/registrations', payload: {} });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('12');
    expect(limited.json().refusal).toMatchObject({ form: ['too many registrations'], retryAfterSeconds: 12 });

    c.kube.answer = statusAnswer(401, { reason: 'Unauthorized', message: 'Unauthorized' });
    const own = await c.server.app.inject({ method: 'POST', url: '/api/registrations', payload: {} });
    expect(own.statusCode).toBe(502);
    expect(own.json().refusal).toMatchObject({ code: 401, form: ['Unauthorized'] });
  });

  it('refuses a body that is not JSON without echoing it', async () => {
    const c = start();
    const res = await c.server.app.inject({
      method: 'POST',
      url: '/api/registrations',
      headers: { 'content-type': 'application/json' },
      payload: '{"password":"Secret-123!"',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('CNPAAS_CONSOLE_BODY_NOT_JSON');
    expect(res.body).not.toContain('Secret-123!');
    expect(c.kube.registered).toEqual([]);
  });
});

describe('GET /api/fabric/events', () => {
  it('streams a snapshot, then each change, and a fresh snapshot on every reconnect', async () => {
    const c = start();
    c.fabric.start();
    const url = await c.server.listen({ host: '127.0.0.1', port: 0 });
    const first = await readEvents(`${url}/api/fabric/events`, async (events) => {
      if (events.length === 1) {
        c.kube.collection(TENANTS).put({
          kind: 'Tenant',
          metadata: { name: 't-new', uid: 'u-new' },
          spec: { companyName: 'New', password: HASH },
        });
      }
      return events.some((e) => e.event === 'change' && e.data.type === 'upsert');
    });
    expect(first[0]!.event).toBe('snapshot');
    const upsert = first.find((e) => e.event === 'change' && e.data.type === 'upsert')!;
    expect(upsert.data.object).toMatchObject({ name: 't-new', backend: 'tenants', kind: 'Tenant' });
    expect(JSON.stringify(upsert.data)).not.toContain('$scrypt$');
    // A reload: a new connection starts with a snapshot that already holds the object.
    const second = await readEvents(`${url}/api/fabric/events`, async (events) => events.length >= 1);
    expect(second[0]!.event).toBe('snapshot');
    expect(second[0]!.data.objects.map((o: any) => o.name)).toEqual(['t-new']);
  });
});

it('keeps a server that is closed with streams open from hanging', async () => {
  const c = start();
  const url = await c.server.listen({ host: '127.0.0.1', port: 0 });
  const res = await fetch(`${url}/api/fabric/events`);
  expect(res.status).toBe(200);
  await c.server.close();
  await res.body?.cancel();
  expect(c.server).toBeInstanceOf(ConsoleServer);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface SseEvent {
  event: string;
  data: any;
}

/** Reads server-sent events until `done` says so (called after each event), then disconnects. */
async function readEvents(url: string, done: (events: SseEvent[]) => Promise<boolean>): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  const deadline = Date.now() + 5000;
  try {
    while (Date.now() < deadline) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += value;
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) {
          events.push({ event, data: JSON.parse(data) });
          if (await done(events)) return events;
        }
      }
    }
    throw new Error(`stream ended or timed out after ${events.length} events`);
  } finally {
    controller.abort();
  }
}
