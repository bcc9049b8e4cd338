/**
 * The registration flow end to end through our TLS server: create, watch
 * from the create's resourceVersion until DELETED, answer 201 from the
 * status; timeouts, webhook denials, dry runs, dropped and expired watches.
 *
 * The kube API is a fake (test-support/fake-kube-api.ts) that plays the
 * webhooks and the operator. That is acceptable here only because the live
 * suites in e2e/ run the real stack: only a real kube-apiserver with the real
 * webhooks and operator proves their actual denials, codes and timing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRATIONS_PATH, REQUESTED_BY_ANNOTATION } from './api-group.js';
import { failure } from './status.js';
import { COMPLETED_STATUS } from './test-support/fake-kube-api.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startStack, type TestStack } from './test-support/stack.js';

/** Sent in this file; must never appear in a log line or an answer. */
const SECRET = 'Sup3r-Secret-Plain!';

function registrationBody(overrides: { name?: string; password?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'RegistrationRequest',
    metadata: overrides.name ? { name: overrides.name } : {},
    spec: {
      user: { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada@Example.com' },
      password: overrides.password ?? SECRET,
      tenant: { country: 'GB', city: 'London', address: "12 St James's Square", postalCode: 'SW1Y 4JH' },
    },
  };
}

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
  it("creates the RR as cnpaas-api-server, watches it from the create's resourceVersion, and answers 201 from the DELETED status", async () => {
    stack.fake.onCreated = (rr) => setTimeout(() => stack.fake.complete(rr.metadata.name!), 50);
    const reply = await post(registrationBody({ name: 'reg-ada' }), { user: 'alice' });

    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      apiVersion: 'api.webshop.cnpaas.dev/v1',
      kind: 'Registration',
      metadata: { name: 'reg-ada' },
      status: { tenant: 't-reg-ada', namespace: 't-reg-ada', user: 't-reg-ada', email: 't-reg-ada-welcome' },
    });
    expect(reply.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    // Neither the password nor its hash comes back.
    expect(reply.json.spec).not.toHaveProperty('password');
    expect(reply.text).not.toContain('$argon2id$');
    expect(reply.text).not.toContain('$scrypt$');

    const create = stack.fake.creates.at(-1)!;
    expect(create).toMatchObject({ dryRun: false, clientCn: 'cnpaas-api-server', fieldManager: 'cnpaas-api-server' });
    expect(create.object.metadata.annotations?.[REQUESTED_BY_ANNOTATION]).toBe('alice');
    const added = stack.fake.history.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'reg-ada')!;
    expect(stack.fake.watches.at(-1)).toMatchObject({
      resourceVersion: String(added.rv),
      fieldSelector: 'metadata.name=reg-ada',
    });
  });

  it("does not miss a DELETE that happens before the watch opens (the original demo's race)", async () => {
    // The operator finishes before the create's response is even sent.
    stack.fake.onCreated = (rr) => stack.fake.complete(rr.metadata.name!, COMPLETED_STATUS('fast'));
    const reply = await post(registrationBody());
    expect(reply.status).toBe(201);
    expect(reply.json.status).toEqual({
      tenant: 't-fast',
      namespace: 't-fast',
      user: 't-fast',
      email: 't-fast-welcome',
    });
    // No name in the body: the apiserver generated one from reg-.
    expect(reply.json.metadata.name).toMatch(/^reg-[0-9a-f]{5}$/);
  });

  it('accepts a YAML body, and YAML sent as application/json (kubectl create --raw -f file.yaml)', async () => {
    stack.fake.onCreated = (rr) => setTimeout(() => stack.fake.complete(rr.metadata.name!), 10);
    const yaml = [
      'apiVersion: webshop.cnpaas.dev/v1',
      'kind: RegistrationRequest',
      'metadata:',
      '  name: reg-yaml',
      'spec:',
      '  user: {firstName: Grace, lastName: Hopper, email: grace@example.com}',
      `  password: "${SECRET}"`,
      '  tenant: {country: US, city: Arlington, address: 1 Navy Way, postalCode: "22202"}',
    ].join('\n');
    const asYaml = await post(yaml, { contentType: 'application/yaml' });
    expect(asYaml.status).toBe(201);
    expect(asYaml.json.metadata.name).toBe('reg-yaml');
    expect(stack.fake.creates.at(-1)!.object.spec).toMatchObject({
      user: { firstName: 'Grace' },
      tenant: { postalCode: '22202' },
    });

    const asJson = await post(yaml.replace('reg-yaml', 'reg-yaml-2'), { contentType: 'application/json' });
    expect(asJson.status).toBe(201);
    expect(asJson.json.metadata.name).toBe('reg-yaml-2');
  });

  it("takes the name from the URL in the original demo's form POST …/registrations/<name>", async () => {
    stack.fake.onCreated = (rr) => stack.fake.complete(rr.metadata.name!);
    const reply = await post(registrationBody(), { path: `${REGISTRATIONS_PATH}/richard-kovacs` });
    expect(reply.status).toBe(201);
    expect(reply.json.metadata.name).toBe('richard-kovacs');
  });

  it('answers 504 Timeout when the operator does not finish, naming the RR and its last state, and leaves it alone', async () => {
    stack.fake.onCreated = (rr) =>
      stack.fake.modify(rr.metadata.name!, {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            lastTransitionTime: '2026-01-01T00:00:00Z',
            reason: 'WaitingForNamespace',
            message: 'waiting for Namespace t-x',
          },
        ],
      });
    const started = Date.now();
    const reply = await post(registrationBody({ name: 'reg-slow' }));
    const took = Date.now() - started;

    expect(reply.status).toBe(504);
    expect(reply.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 504,
      reason: 'Timeout',
      details: { name: 'reg-slow' },
    });
    expect(reply.json.message).toContain('RegistrationRequest reg-slow did not finish within 1.5s');
    expect(reply.json.message).toContain('Ready=False WaitingForNamespace: waiting for Namespace t-x');
    expect(reply.json.message).toContain('kubectl get registrationrequests.webshop.cnpaas.dev reg-slow');
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(4_000);
    expect(stack.fake.objects.has('reg-slow')).toBe(true);
  });

  it("answers 409 when the RR is deleted without the operator's result", async () => {
    stack.fake.onCreated = (rr) => stack.fake.remove(rr.metadata.name!);
    const reply = await post(registrationBody({ name: 'reg-cancelled' }));
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(reply.json.message).toContain('status lacks tenant, namespace, user, email');
  });

  it('re-watches from the last resourceVersion after a failed or dropped watch', async () => {
    stack.fake.failWatches = 1;
    stack.fake.dropWatches = 1;
    stack.fake.onCreated = (rr) => setTimeout(() => stack.fake.complete(rr.metadata.name!), 100);
    const before = stack.fake.watches.length;
    const reply = await post(registrationBody({ name: 'reg-flaky' }));
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
      setTimeout(() => stack.fake.complete(rr.metadata.name!), 100);
    };
    const reply = await post(registrationBody({ name: 'reg-compacted' }));
    expect(reply.status).toBe(201);
    expect(stack.fake.gets).toContain('reg-compacted');
    stack.fake.compactedRv = 0;
  });

  it('after 410 Gone with the RR already gone, says the result was lost and how to find it', async () => {
    stack.fake.onCreated = (rr) => {
      stack.fake.complete(rr.metadata.name!);
      stack.fake.compactedRv = stack.fake.rv + 1;
    };
    const reply = await post(registrationBody({ name: 'reg-lost' }));
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
      const reply = await post(registrationBody());
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

  it('passes through 409 AlreadyExists for a taken name', async () => {
    stack.fake.onCreated = () => undefined;
    expect((await post(registrationBody({ name: 'reg-taken' }), { query: '' })).status).toBe(504);
    const again = await post(registrationBody({ name: 'reg-taken' }));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'registrationrequests.webshop.cnpaas.dev "reg-taken" already exists',
    });
  });

  it('answers 503, never 500, when the apiserver fails calling a webhook', async () => {
    stack.fake.admit = () =>
      failure({
        code: 500,
        reason: 'InternalError',
        message:
          'Internal error occurred: failed calling webhook "validate-registrationrequests.webshop.cnpaas.dev": connection refused',
      });
    const reply = await post(registrationBody());
    expect(reply.status).toBe(503);
    expect(reply.json).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    expect(reply.json.message).toContain('failed calling webhook');
  });

  it('answers 500 naming our RBAC when our own identity may not create RegistrationRequests', async () => {
    stack.fake.admit = () =>
      failure({
        code: 403,
        reason: 'Forbidden',
        message:
          'registrationrequests.webshop.cnpaas.dev is forbidden: User "cnpaas-api-server" cannot create resource "registrationrequests"',
      });
    const reply = await post(registrationBody());
    expect(reply.status).toBe(500);
    expect(reply.json.message).toContain('apply packages/api-server/manifests/rbac.yaml');
  });
});

describe('dryRun=All', () => {
  it('does a server-side dry-run create, stores and watches nothing, and answers 201 with the would-be Registration', async () => {
    let admittedDryRun: boolean | undefined;
    stack.fake.admit = (_object, dryRun) => {
      admittedDryRun = dryRun;
      return undefined;
    };
    const objectsBefore = stack.fake.objects.size;
    const watchesBefore = stack.fake.watches.length;
    const reply = await post(registrationBody({ name: 'reg-dry' }), { query: '?dryRun=All' });
    expect(reply.status).toBe(201);
    expect(admittedDryRun).toBe(true);
    expect(stack.fake.creates.at(-1)).toMatchObject({ dryRun: true });
    expect(stack.fake.objects.size).toBe(objectsBefore);
    expect(stack.fake.watches.length).toBe(watchesBefore);
    expect(reply.json).toMatchObject({
      kind: 'Registration',
      metadata: { name: 'reg-dry' },
      status: {},
      spec: { user: { firstName: 'Ada' } },
    });
    expect(reply.json.spec).not.toHaveProperty('password');
  });

  it('passes a dry-run denial through like a real one', async () => {
    stack.fake.admit = () =>
      failure({
        code: 422,
        reason: 'Invalid',
        message: 'admission webhook "x" denied the request: spec.user.email: invalid',
      });
    const reply = await post(registrationBody(), { query: '?dryRun=All' });
    expect(reply.status).toBe(422);
    expect(reply.json.message).toContain('spec.user.email: invalid');
  });

  it('refuses dryRun values Kubernetes does not define', async () => {
    const reply = await post(registrationBody(), { query: '?dryRun=true' });
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('the only supported value is All');
  });
});

describe('bodies refused before any create', () => {
  it('names the field in a 422 and creates nothing', async () => {
    const before = stack.fake.creates.length;
    const body = registrationBody();
    delete (body['spec'] as Record<string, unknown>)['tenant'];
    const reply = await post(body);
    expect(reply.status).toBe(422);
    expect(reply.json.details.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.tenant', message: 'Required value' },
    ]);
    expect(stack.fake.creates.length).toBe(before);
  });

  it('refuses an unknown field with 400 naming it', async () => {
    const body = registrationBody();
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
    const reply = await post(JSON.stringify(registrationBody()), { contentType: 'text/plain' });
    expect(reply.status).toBe(415);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
  });

  it('answers 413 for a body over the limit', async () => {
    const big = registrationBody();
    (big['metadata'] as Record<string, unknown>)['annotations'] = { pad: 'x'.repeat(70 * 1024) };
    const reply = await post(big);
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  });
});
