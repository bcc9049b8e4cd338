/**
 * The registration flow through our TLS server, for the faults a real
 * kube-apiserver cannot be made to produce on cue: an operator that finishes
 * before the create's response is sent (a DELETE before the watch opens),
 * failed and dropped watches, compacted resourceVersions (410), the
 * webhooks' denials and a failed webhook call; and bodies refused before any
 * create.
 *
 * The kube API here is test-support/fake-kube-api.ts, for that fault
 * injection only. The API semantics (create as our identity, AlreadyExists,
 * the CRD's 422, dry runs, the watch from the create's resourceVersion,
 * DELETED, RBAC refusals) are proven against a real kube-apiserver in
 * registration-flow.live.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRATIONS_PATH } from './api-group.js';
import { failure } from './status.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startStack, type TestStack } from './test-support/stack.js';
import { answeredStatus, completedStatus, registrationBody } from './test-support/registrations.js';

/** Sent in this file; must never appear in a log line or an answer. */
const SECRET = 'Sup3r-Secret-Plain!';

let pki: TestPki;
let stack: TestStack;
const allLines: string[] = [];

beforeAll(async () => {
  pki = await testPki();
  stack = await startStack(pki, { registrationTimeoutMs: 1_500 });
});
afterEach(() => {
  allLines.push(...stack.lines);
  stack.fake.onCreated = undefined;
  stack.fake.admit = undefined;
});
afterAll(async () => {
  await stack.close();
  // Across every test in this file: the plain password never reached a log line.
  expect(allLines.length).toBeGreaterThan(0);
  for (const line of allLines) expect(line).not.toContain(SECRET);
});

function post(body: unknown, options: { query?: string; contentType?: string; user?: string; path?: string } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return stack.proxied(`${options.path ?? REGISTRATIONS_PATH}${options.query ?? ''}`, {
    body: text,
    contentType: options.contentType ?? 'application/json',
    ...(options.user ? { user: options.user } : {}),
  });
}

describe('POST registrations', () => {
  it("does not miss a DELETE that happens before the watch opens (the original demo's race)", async () => {
    // The operator finishes before the create's response is even sent.
    stack.fake.onCreated = (rr) => stack.fake.complete(rr.metadata.name!, completedStatus('fast'));
    const reply = await post(registrationBody(SECRET));
    expect(reply.status).toBe(201);
    expect(reply.json.status).toEqual(answeredStatus('fast'));
    // No name in the body: the apiserver generated one from reg-.
    expect(reply.json.metadata.name).toMatch(/^reg-[0-9a-f]{5}$/);
  });

  it('re-watches from the last resourceVersion after a failed or dropped watch', async () => {
    stack.fake.failWatches = 1;
    stack.fake.dropWatches = 1;
    stack.fake.onCreated = (rr) => setTimeout(() => stack.fake.complete(rr.metadata.name!), 100);
    const before = stack.fake.watches.length;
    const reply = await post(registrationBody(SECRET, 'reg-flaky'));
    expect(reply.status).toBe(201);
    expect(reply.json.status.tenant).toBe('t-reg-flaky');
    const watches = stack.fake.watches.slice(before);
    expect(watches.length).toBeGreaterThanOrEqual(3);
    expect(new Set(watches.map((w) => w.resourceVersion)).size).toBe(1);
  });

  it('after 410 Gone, finds the RR still there with a GET and watches on from its resourceVersion', async () => {
    stack.fake.onCreated = (rr) => {
      stack.fake.modify(rr.metadata.name!, {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            lastTransitionTime: '2026-01-01T00:00:00Z',
            reason: 'WaitingForNamespace',
            message: '',
          },
        ],
      });
      stack.fake.compactedRv = stack.fake.rv; // the create's resourceVersion is compacted away
      // Finish only once the GET has seen it still there: a fixed delay lost that race on a loaded machine.
      const name = rr.metadata.name!;
      const finish = setInterval(() => {
        if (!stack.fake.gets.includes(name)) return;
        clearInterval(finish);
        stack.fake.complete(name);
      }, 10);
    };
    const reply = await post(registrationBody(SECRET, 'reg-compacted'));
    expect(reply.status).toBe(201);
    expect(stack.fake.gets).toContain('reg-compacted');
    stack.fake.compactedRv = 0;
  });

  it('after 410 Gone with the RR already gone, says the result was lost and how to find it', async () => {
    stack.fake.onCreated = (rr) => {
      stack.fake.complete(rr.metadata.name!);
      stack.fake.compactedRv = stack.fake.rv + 1;
    };
    const reply = await post(registrationBody(SECRET, 'reg-lost'));
    stack.fake.compactedRv = 0;
    expect(reply.status).toBe(500);
    expect(reply.json.message).toContain('result was lost');
    expect(reply.json.message).toContain('kubectl get tenants -l webshop.cnpaas.dev/registration-uid=');
  });
});

describe('webhook denials and kube API failures on create', () => {
  const cases = [
    {
      what: 'a 422 Invalid from the validating webhook, with its causes',
      status: failure({
        code: 422,
        reason: 'Invalid',
        message:
          'admission webhook "mutate-registrationrequests.webshop.cnpaas.dev" denied the request: spec.password: must contain a digit',
        details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.password', message: 'must contain a digit' }] },
      }),
    },
    {
      what: 'a 409 Conflict for a taken email',
      status: failure({
        code: 409,
        reason: 'Conflict',
        message:
          'admission webhook "validate-registrationrequests.webshop.cnpaas.dev" denied the request: email ada@example.com is already registered',
      }),
    },
    {
      what: 'a 400 from a webhook',
      status: failure({ code: 400, reason: 'BadRequest', message: 'admission webhook "x" denied the request: bad' }),
    },
    {
      what: 'a 403 from a webhook that set no code',
      status: failure({
        code: 403,
        reason: 'Forbidden',
        message: 'admission webhook "x" denied the request without explanation',
      }),
    },
  ];
  for (const c of cases) {
    it(`passes through ${c.what} (code, reason, message, details)`, async () => {
      stack.fake.admit = () => c.status;
      const [creates, objects] = [stack.fake.creates.length, stack.fake.objects.size];
      const reply = await post(registrationBody(SECRET));
      expect(stack.fake.creates.length).toBe(creates + 1);
      expect(stack.fake.objects.size).toBe(objects);
      expect(reply.status).toBe(c.status.code);
      expect(reply.json).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: c.status.code,
        reason: c.status.reason,
        message: c.status.message,
      });
      if (c.status.details) expect(reply.json.details).toEqual(c.status.details);
    });
  }

  it('answers 503, never 500, when the apiserver fails calling a webhook', async () => {
    stack.fake.admit = () =>
      failure({
        code: 500,
        reason: 'InternalError',
        message:
          'Internal error occurred: failed calling webhook "validate-registrationrequests.webshop.cnpaas.dev": connection refused',
      });
    const reply = await post(registrationBody(SECRET));
    expect(reply.status).toBe(503);
    expect(reply.json).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    expect(reply.json.message).toContain('failed calling webhook');
  });
});

describe('dryRun=All', () => {
  it('refuses dryRun values Kubernetes does not define', async () => {
    const reply = await post(registrationBody(SECRET), { query: '?dryRun=true' });
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('the only supported value is All');
  });
});

describe('bodies refused before any create', () => {
  it('names the field in a 422 and creates nothing', async () => {
    const before = stack.fake.creates.length;
    const body = registrationBody(SECRET);
    delete (body['spec'] as Record<string, unknown>)['tenant'];
    const reply = await post(body);
    expect(reply.status).toBe(422);
    expect(reply.json.details.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.tenant', message: 'Required value' },
    ]);
    expect(stack.fake.creates.length).toBe(before);
  });

  it('refuses an unknown field with 400 naming it', async () => {
    const body = registrationBody(SECRET);
    (body['spec'] as Record<string, unknown>)['admin'] = true;
    const reply = await post(body);
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('unknown field "spec.admin"');
  });

  it('answers 400 for broken JSON without quoting it', async () => {
    const reply = await post(`{"spec": {"password": "${SECRET}"`);
    expect(reply.status).toBe(400);
    expect(reply.json.message).toBe(
      'the request body is not valid JSON; send one RegistrationRequest as JSON or YAML (Content-Type application/json or application/yaml)',
    );
    expect(reply.text).not.toContain(SECRET);
  });

  it('answers 415 for a Content-Type that is neither JSON nor YAML', async () => {
    const reply = await post(JSON.stringify(registrationBody(SECRET)), { contentType: 'text/plain' });
    expect(reply.status).toBe(415);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
  });

  it('answers 413 for a body over the limit', async () => {
    const big = registrationBody(SECRET);
    (big['metadata'] as Record<string, unknown>)['annotations'] = { pad: 'x'.repeat(70 * 1024) };
    const reply = await post(big);
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  });
});
