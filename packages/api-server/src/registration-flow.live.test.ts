/**
 * The registration flow through our TLS server in front of a real
 * kube-apiserver on cnpaas-store (@cnpaas/platform/testing): the server
 * runs as cnpaas-api-server with manifests/rbac.yaml, asks real
 * SubjectAccessReviews, creates real RegistrationRequests (the CRD's schema
 * and CEL rule judge them) and watches them. The test plays the operator
 * with an admin client: it writes the status and deletes the object. What
 * the server asked is read from the apiserver's audit log.
 *
 * API semantics only: AlreadyExists, the CRD's 422, dry runs, the watch
 * from the create's resourceVersion, DELETED, RBAC refusals. Faults a real
 * apiserver cannot be made to produce on cue (dropped or failed watches,
 * compaction, webhook failures, a delete before the watch opens) stay in
 * registration-flow.test.ts on test-support/fake-kube-api.ts.
 *
 * One control plane for the file; every test uses its own names.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { ResourceClient } from '@cnpaas/kube';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { requestAudit, userKubeConfig, type AuditedRequest, type RequestAudit } from '@cnpaas/service-kit/testing';
import { manifestPath, SYSTEM_NAMESPACE, type RegistrationRequestStatus } from '@cnpaas/webshop-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRATION_REQUESTS, REGISTRATIONS_PATH, REQUESTED_BY_ANNOTATION } from './api-group.js';
import type { RegistrationRequest } from './registration-body.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startServer, type ServerStack } from './test-support/stack.js';
import { answeredStatus, completedStatus, registrationBody } from './test-support/registrations.js';

const IDENTITY = 'cnpaas-api-server';
/** May ask SubjectAccessReviews but not create RegistrationRequests. */
const WITHOUT_CREATE = 'cnpaas-api-server-without-create';
const RBAC = new URL('../manifests/rbac.yaml', import.meta.url).pathname;
const REGISTRANT_ROLE = new URL('../manifests/registrant-clusterrole.yaml', import.meta.url).pathname;
/** What the mutating webhook would have stored; there is no webhook here, and the CRD accepts only a hash. */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA';
/**
 * The registration budget: long enough for the test to play the operator through real API calls on a loaded
 * machine, short enough that the timeout tests stay quick.
 */
const TIMEOUT_MS = 3_000;
/** A plain password: the CRD's CEL rule refuses it. Must never appear in a log line or an answer. */
const SECRET = 'Sup3r-Secret-Plain!';

let cp: TestControlPlane;
let audit: RequestAudit;
let pki: TestPki;
let stack: ServerStack;
/** The test's own admin view of RegistrationRequests: it plays the operator. */
let requests: ResourceClient<RegistrationRequest & KubernetesObject>;

beforeAll(async () => {
  audit = requestAudit({ users: [IDENTITY, WITHOUT_CREATE] });
  cp = await startControlPlane({
    crds: [manifestPath('crds/registrationrequests.yaml')],
    apiserverArgs: audit.apiserverArgs,
  });
  await cp.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
    RBAC,
    REGISTRANT_ROLE,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'webshop-signup-registrants' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cnpaas-registrant' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'webshop-signup' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: WITHOUT_CREATE },
      rules: [{ apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: WITHOUT_CREATE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WITHOUT_CREATE },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: WITHOUT_CREATE }],
    },
  ]);
  pki = await testPki();
  stack = await startServer(pki, await userKubeConfig(cp, IDENTITY), {
    registrationTimeoutMs: TIMEOUT_MS,
  });
  requests = new ResourceClient(cp.kubeConfig, { ...REGISTRATION_REQUESTS, namespaced: false });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await cp?.stop();
  audit?.close();
  // Across every test in this file: the plain password never reached a log line.
  expect(stack.lines.length).toBeGreaterThan(0);
  for (const line of stack.lines) expect(line).not.toContain(SECRET);
});

function post(
  body: unknown,
  options: { query?: string; contentType?: string; user?: string; path?: string; on?: ServerStack } = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (options.on ?? stack).proxied(`${options.path ?? REGISTRATIONS_PATH}${options.query ?? ''}`, {
    body: text,
    contentType: options.contentType ?? 'application/json',
    ...(options.user ? { user: options.user } : {}),
  });
}

/** The RegistrationRequest as it was created, once it exists (found by name, or by the only new reg- name). */
async function created(name: string | ((names: string[]) => string | undefined)): Promise<RegistrationRequest> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const items = (await requests.list()).items;
    const wanted = typeof name === 'string' ? name : name(items.map((i) => i.metadata!.name!));
    const found = items.find((i) => i.metadata?.name === wanted);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`RegistrationRequest ${String(wanted)} was never created`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What the operator does: write status (optionally), then delete (optionally). */
async function operate(name: string, options: { status?: RegistrationRequestStatus; remove: boolean }) {
  if (options.status) {
    await requests.mergePatch({ name }, { status: options.status }, { subresource: 'status' });
  }
  if (options.remove) await requests.delete({ name });
}

const uriOf = (r: AuditedRequest) => new URL(r.requestURI, 'https://apiserver');
const byIdentity = (verb: string, name?: string) => (r: AuditedRequest) =>
  r.user.username === IDENTITY &&
  r.verb === verb &&
  r.objectRef?.resource === 'registrationrequests' &&
  (name === undefined ||
    r.objectRef?.name === name ||
    uriOf(r).searchParams.get('fieldSelector') === `metadata.name=${name}`);

describe('POST registrations on a real apiserver', () => {
  it("creates the RR as cnpaas-api-server, watches it from the create's resourceVersion, and answers 201 from the DELETED status", async () => {
    const name = 'reg-ada';
    const reply = post(registrationBody(HASH, name), { user: 'alice' });
    const stored = await created(name);
    await operate(name, { status: completedStatus(name), remove: true });
    const answer = await reply;

    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({
      apiVersion: 'api.webshop.cnpaas.dev/v1',
      kind: 'Registration',
      metadata: { name },
      status: answeredStatus('reg-ada'),
    });
    expect(answer.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.json.metadata.uid).toBe(stored.metadata.uid);
    // Neither the password nor its hash comes back.
    expect(answer.json.spec).not.toHaveProperty('password');
    expect(answer.text).not.toContain('$argon2id$');
    expect(answer.text).not.toContain('$scrypt$');

    // Created by our identity and field manager, for alice.
    expect(stored.metadata.annotations?.[REQUESTED_BY_ANNOTATION]).toBe('alice');
    expect((stored.metadata.managedFields as Array<{ manager?: string }> | undefined)?.map((f) => f.manager)).toEqual([
      'cnpaas-api-server',
    ]);
    const [create] = await audit.waitFor(byIdentity('create', name));
    expect(uriOf(create!).searchParams.get('fieldManager')).toBe('cnpaas-api-server');
    expect(uriOf(create!).searchParams.has('dryRun')).toBe(false);
    const [watch, ...more] = await audit.waitFor(byIdentity('watch', name));
    expect(more).toEqual([]);
    expect(uriOf(watch!).searchParams.get('resourceVersion')).toBe(stored.metadata.resourceVersion);
    expect(uriOf(watch!).searchParams.get('fieldSelector')).toBe(`metadata.name=${name}`);
  });

  it('generates a name from reg- when the body has none', async () => {
    const before = new Set((await requests.list()).items.map((i) => i.metadata!.name!));
    const reply = post(registrationBody(HASH));
    const stored = await created((names) => names.find((n) => n.startsWith('reg-') && !before.has(n)));
    await operate(stored.metadata.name!, { status: completedStatus('fast'), remove: true });
    const answer = await reply;
    expect(answer.status).toBe(201);
    expect(answer.json.status).toEqual(answeredStatus('fast'));
    // kube-apiserver's generateName: the prefix and five random characters.
    expect(answer.json.metadata.name).toMatch(/^reg-[a-z0-9]{5}$/);
    expect(answer.json.metadata.name).toBe(stored.metadata.name);
  });

  it('accepts a YAML body, and YAML sent as application/json (kubectl create --raw -f file.yaml)', async () => {
    const yaml = [
      'apiVersion: webshop.cnpaas.dev/v1',
      'kind: RegistrationRequest',
      'metadata:',
      '  name: reg-yaml',
      'spec:',
      '  user: {firstName: Grace, lastName: Hopper, email: grace@example.com}',
      `  password: "${HASH}"`,
      '  tenant: {country: US, city: Arlington, address: 1 Navy Way, postalCode: "22202"}',
    ].join('\n');
    const asYaml = post(yaml, { contentType: 'application/yaml' });
    const stored = await created('reg-yaml');
    expect(stored.spec).toMatchObject({ user: { firstName: 'Grace' }, tenant: { postalCode: '22202' } });
    await operate('reg-yaml', { status: completedStatus('reg-yaml'), remove: true });
    expect((await asYaml).status).toBe(201);
    expect((await asYaml).json.metadata.name).toBe('reg-yaml');

    const asJson = post(yaml.replace('reg-yaml', 'reg-yaml-2'), { contentType: 'application/json' });
    await created('reg-yaml-2');
    await operate('reg-yaml-2', { status: completedStatus('reg-yaml-2'), remove: true });
    expect((await asJson).status).toBe(201);
    expect((await asJson).json.metadata.name).toBe('reg-yaml-2');
  });

  it("takes the name from the URL in the original demo's form POST …/registrations/<name>", async () => {
    const reply = post(registrationBody(HASH), { path: `${REGISTRATIONS_PATH}/richard-kovacs` });
    await created('richard-kovacs');
    await operate('richard-kovacs', { status: completedStatus('richard-kovacs'), remove: true });
    expect((await reply).status).toBe(201);
    expect((await reply).json.metadata.name).toBe('richard-kovacs');
  });

  it('answers 504 Timeout when the operator does not finish, naming the RR and its last state, and leaves it alone', async () => {
    const started = Date.now();
    const reply = post(registrationBody(HASH, 'reg-slow'));
    await created('reg-slow');
    await operate('reg-slow', {
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            lastTransitionTime: '2026-01-01T00:00:00Z',
            reason: 'WaitingForNamespace',
            message: 'waiting for Namespace t-x',
          },
        ],
      },
      remove: false,
    });
    const answer = await reply;
    const took = Date.now() - started;

    expect(answer.status).toBe(504);
    expect(answer.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 504,
      reason: 'Timeout',
      details: { name: 'reg-slow' },
    });
    expect(answer.json.message).toContain('RegistrationRequest reg-slow did not finish within 3s');
    expect(answer.json.message).toContain('Ready=False WaitingForNamespace: waiting for Namespace t-x');
    expect(answer.json.message).toContain('kubectl get registrationrequests.webshop.cnpaas.dev reg-slow');
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(took).toBeLessThan(TIMEOUT_MS + 2_500);
    expect((await requests.get({ name: 'reg-slow' })).metadata.name).toBe('reg-slow');
  });

  it("answers 409 when the RR is deleted without the operator's result", async () => {
    const reply = post(registrationBody(HASH, 'reg-cancelled'));
    await created('reg-cancelled');
    await operate('reg-cancelled', { remove: true });
    const answer = await reply;
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(answer.json.message).toContain('status lacks tenant, namespace, user, email');
  });
});

describe('refusals of the create', () => {
  it('passes through 409 AlreadyExists for a taken name', async () => {
    // The first one times out and stays: nobody plays the operator for it.
    expect((await post(registrationBody(HASH, 'reg-taken'))).status).toBe(504);
    const again = await post(registrationBody(HASH, 'reg-taken'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'registrationrequests.webshop.cnpaas.dev "reg-taken" already exists',
    });
  });

  it("passes through the CRD's 422 Invalid for a plain password (code, reason, message, causes), storing nothing", async () => {
    for (const query of ['', '?dryRun=All']) {
      const reply = await post(registrationBody(SECRET, 'reg-plain'), { query });
      expect(reply.status).toBe(422);
      expect(reply.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid' });
      expect(reply.json.message).toContain('must be a password hash');
      expect(reply.json.details.causes).toContainEqual(
        expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.password' }),
      );
      expect(reply.text).not.toContain(SECRET);
    }
    await expect(requests.get({ name: 'reg-plain' })).rejects.toThrow(/404/);
  });

  it('answers 500 naming our RBAC when our own identity may not create RegistrationRequests', async () => {
    const weak = await startServer(pki, await userKubeConfig(cp, WITHOUT_CREATE));
    try {
      const reply = await post(registrationBody(HASH, 'reg-forbidden'), { on: weak });
      expect(reply.status).toBe(500);
      expect(reply.json.message).toContain('apply packages/api-server/manifests/rbac.yaml');
      const [create] = await audit.waitFor(
        (r) =>
          r.user.username === WITHOUT_CREATE && r.verb === 'create' && r.objectRef?.resource === 'registrationrequests',
      );
      expect(create!.responseStatus?.code).toBe(403);
    } finally {
      await weak.close();
    }
  });

  it('refuses a caller the SubjectAccessReview does not allow, before any create', async () => {
    // Not in webshop-signup: the real RBAC grants them nothing.
    const reply = await stack.proxied(REGISTRATIONS_PATH, {
      body: JSON.stringify(registrationBody(HASH, 'reg-stranger')),
      contentType: 'application/json',
      user: 'mallory',
      groups: ['someone-else'],
    });
    expect(reply.status).toBe(403);
    expect(reply.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    const [review] = await audit.waitFor(
      (r) => r.user.username === IDENTITY && r.objectRef?.resource === 'subjectaccessreviews',
    );
    expect(review!.responseStatus?.code).toBe(201);
    expect(audit.requests().filter(byIdentity('create', 'reg-stranger'))).toEqual([]);
  });
});

describe('dryRun=All on a real apiserver', () => {
  it('does a server-side dry-run create, stores and watches nothing, and answers 201 with the would-be Registration', async () => {
    const reply = await post(registrationBody(HASH, 'reg-dry'), { query: '?dryRun=All' });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      kind: 'Registration',
      metadata: { name: 'reg-dry' },
      status: {},
      spec: { user: { firstName: 'Ada' } },
    });
    expect(reply.json.spec).not.toHaveProperty('password');
    const [create] = await audit.waitFor(byIdentity('create', 'reg-dry'));
    expect(uriOf(create!).searchParams.get('dryRun')).toBe('All');
    expect(create!.responseStatus?.code).toBe(201);
    await expect(requests.get({ name: 'reg-dry' })).rejects.toThrow(/404/);
    expect(audit.requests().filter(byIdentity('watch', 'reg-dry'))).toEqual([]);
  });
});
