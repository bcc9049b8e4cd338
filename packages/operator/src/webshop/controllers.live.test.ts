/**
 * Each reconciler called directly, key by key, on a real kube-apiserver on
 * cnpaas-store (@cnpaas/platform/testing), with kube-controller-manager for
 * namespace finalization. The reconcilers run as the operator's own identity
 * (a client certificate with CN cnpaas-operator) under the RBAC and the
 * confinement policy of manifests/, so every write they make is one those
 * manifests allow, with the apiserver's own defaulting, field order,
 * resourceVersion preconditions and UIDs. The test seeds and reads as the
 * admin. `recorded` notes the writes a reconcile made (each still went to the
 * apiserver), where a case is about which requests were made.
 *
 * Timing that only a fake clock controls exactly (a claim's grace period, the
 * distance between two condition transitions) comes from a FakeClock handed
 * to the reconciler: it stamps and judges times, the apiserver stays real.
 * What stays in memory (registration-flow.test.ts, children.test.ts) is
 * fault injection: a request failing on cue, a create race lost.
 *
 * One control plane for the file; each test uses its own names (RRs, tenant
 * namespaces, claim addresses), so the tests do not see each other's objects.
 */
import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { EVENTS_RESOURCE, EventRecorder, FakeClock, kubeEventSink, realClock, ResourceClient } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { claimReleaseReconciler, readClaim } from './claim-release-controller.js';
import {
  absent,
  conditionOf,
  kubeConfigFrom,
  reconcileOnce,
  recorded,
  startOperatorControlPlane,
  type OperatorControlPlane,
} from './live-test-support.js';
import { kubeWebshopApi, withCache, type WebshopApi } from './kube-api.js';
// The contract's names read as `contract.X`, from the contract itself, so each
// assertion shows that it checks the contract; the operator's own from names.ts.
import * as contract from '@cnpaas/webshop-api';
import { MANAGED_BY_LABEL, OPERATOR_NAME, registrationNames } from './names.js';
import { OPERATOR_TENANT_ROLE } from './operator-access.js';
import { registrationReconciler } from './registration-controller.js';
import { desiredNamespace, tenantReconciler } from './tenant-controller.js';
import {
  HASH,
  RR_UID,
  SCRYPT_HASH,
  claimConfigMap,
  registrationRequest,
  registrationTemplate,
} from './test-support.js';
import type { ConfigMap, EmailTemplate, Namespace, RegistrationRequest, Tenant, User } from './types.js';
import { PASSWORD_SECRET_TYPE, userReconciler } from './user-controller.js';

/** Up to this long for kube-controller-manager to finish a namespace. */
const SETTLE = { timeout: 45_000, interval: 200 };
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const TEMPLATE_REF = { namespace: contract.SYSTEM_NAMESPACE, name: 'registration' };
const tenantSpec = { country: 'DE', city: 'Berlin', address: 'x', postalCode: '1' };

let env: OperatorControlPlane;
let admin: WebshopApi;

beforeAll(async () => {
  env = await startOperatorControlPlane({ controllerManager: true });
  admin = env.admin;
  await admin.emailTemplates.create(registrationTemplate() as EmailTemplate);
}, 180_000);

afterAll(async () => {
  await env?.cp.stop();
});

/** A RegistrationRequest as the apiserver stores it: the UID (and so every child's name) is the server's. */
async function register(name: string): Promise<{ rr: RegistrationRequest; child: string; uid: string }> {
  const rr = registrationRequest({ name, email: `${name}@example.com` });
  delete rr.metadata!.uid;
  const created = await admin.registrationRequests.create(rr);
  const names = registrationNames(created.metadata?.uid);
  return { rr: created, child: names.tenant, uid: names.uid };
}

/** A Namespace as someone other than the operator makes it (the admin). */
async function namespace(name: string, labels: Record<string, string> = {}): Promise<Namespace> {
  return admin.namespaces.create({ metadata: { name, labels } });
}

async function template(name: string, body: string): Promise<void> {
  const t = registrationTemplate(body) as EmailTemplate;
  t.metadata!.name = name;
  await admin.emailTemplates.create(t);
}

/**
 * RR `name` with its own EmailTemplate `name` (in the system namespace) of this body, and the
 * registration's Namespace already there: the next reconcile goes on to the User and the Email.
 */
async function withOwnTemplate(name: string, body: string) {
  await template(name, body);
  const reconciler = registrationReconciler({
    api: env.operator,
    clock: realClock,
    template: { namespace: contract.SYSTEM_NAMESPACE, name },
  });
  const { child, uid } = await register(name);
  await namespace(child, { [contract.REGISTRATION_UID_LABEL]: uid });
  return { reconciler, child };
}

describe('RegistrationRequest reconciler (live)', () => {
  it('creates the Tenant, then waits for the Namespace with a requeue-after, writing status once', async () => {
    const { api, writes } = recorded(env.operator);
    const reconciler = registrationReconciler({ api, clock: realClock, template: TEMPLATE_REF });
    const { child, uid } = await register('reg-wait');
    const key = { name: 'reg-wait' };
    expect(await reconcileOnce(reconciler, admin.registrationRequests, key)).toEqual({ requeueAfterMs: 2_000 });
    expect((await admin.tenants.get({ name: child })).metadata?.labels?.[contract.REGISTRATION_UID_LABEL]).toBe(uid);
    const rr = await admin.registrationRequests.get(key);
    expect(conditionOf(rr, 'NamespaceReady')).toMatchObject({ status: 'False', reason: 'WaitingForNamespace' });
    expect(conditionOf(rr, 'TenantCreated')?.status).toBe('True');
    expect(rr.status?.observedGeneration).toBe(1);
    expect(writes).toEqual([`create tenants ${child}`, 'status registrationrequests reg-wait']);

    // Waiting again changes nothing: no status write (a write would wake the controller: a hot loop).
    const before = writes.length;
    expect(await reconcileOnce(reconciler, admin.registrationRequests, key)).toEqual({ requeueAfterMs: 2_000 });
    expect(writes.slice(before)).toEqual([]);
    expect((await admin.registrationRequests.get(key)).metadata?.resourceVersion).toBe(rr.metadata?.resourceVersion);
  });

  it('reads the children its status records as made when a lagging cache lacks them, and creates the Email without a GET', async () => {
    const { api: plain, requests } = recorded(env.operator);
    // Informers that have synced but not yet seen the Tenant and the User this RR made a moment ago.
    const lagging = { store: { get: () => undefined }, hasSynced: () => true };
    const api = { ...plain, tenants: withCache(plain.tenants, lagging), users: withCache(plain.users, lagging) };
    const reconciler = registrationReconciler({ api, clock: realClock, template: TEMPLATE_REF });
    const { child, uid } = await register('reg-lagging');
    const key = { name: 'reg-lagging' };
    expect(await reconcileOnce(reconciler, admin.registrationRequests, key)).toEqual({ requeueAfterMs: 2_000 });
    expect(requests).toEqual([
      `create tenants ${child}`,
      `get namespaces ${child}`,
      'status registrationrequests reg-lagging',
    ]);
    // TenantCreated=True: the Tenant is read, although the cache says nothing of it (no create, no 409).
    await namespace(child, { [contract.REGISTRATION_UID_LABEL]: uid });
    const before = requests.length;
    await reconcileOnce(reconciler, admin.registrationRequests, key);
    expect(requests.slice(before)).toEqual([
      `get tenants ${child}`,
      `get namespaces ${child}`,
      `create users ${child}/${child}`,
      `get emailtemplates ${TEMPLATE_REF.namespace}/${TEMPLATE_REF.name}`,
      `create emails ${child}/${registrationNames(uid).email}`,
      'status registrationrequests reg-lagging',
      'delete registrationrequests reg-lagging',
    ]);
  });

  it('only deletes an RR that is Completed at its generation (a copy the cache still holds after its own status write)', async () => {
    const { api, requests } = recorded(env.operator);
    const reconciler = registrationReconciler({ api, clock: realClock, template: TEMPLATE_REF });
    const { rr } = await register('reg-completed');
    const key = { name: 'reg-completed' };
    const completed = {
      type: 'Ready',
      status: 'True',
      reason: 'Completed',
      message: 'tenant, namespace, user and welcome email exist',
      observedGeneration: rr.metadata?.generation,
      lastTransitionTime: new Date().toISOString(),
    };
    await admin.registrationRequests.mergePatch(
      key,
      { status: { conditions: [completed] } },
      { subresource: 'status' },
    );
    await reconcileOnce(reconciler, admin.registrationRequests, key);
    expect(requests).toEqual(['delete registrationrequests reg-completed']);
    expect(await absent(() => admin.registrationRequests.get(key))).toBe(true);
  });

  it('stops at a Namespace of another registration: NameConflict, no User', async () => {
    const reconciler = registrationReconciler({ api: env.operator, clock: realClock, template: TEMPLATE_REF });
    const { child } = await register('reg-ns-conflict');
    await namespace(child, { [contract.REGISTRATION_UID_LABEL]: 'other' });
    expect(await reconcileOnce(reconciler, admin.registrationRequests, { name: 'reg-ns-conflict' })).toEqual({
      requeueAfterMs: 60_000,
    });
    const rr = await admin.registrationRequests.get({ name: 'reg-ns-conflict' });
    expect(conditionOf(rr, 'NameConflict')?.message).toContain(`Namespace ${child}`);
    expect((await admin.users.list({ namespace: child })).items).toEqual([]);
  });

  it('reports a broken template (unknown placeholder) as TemplateInvalid and creates no Email', async () => {
    const { reconciler, child } = await withOwnTemplate('reg-invalid', 'Hi {{ .spec.fristName }}');
    expect(await reconcileOnce(reconciler, admin.registrationRequests, { name: 'reg-invalid' })).toEqual({
      requeueAfterMs: 30_000,
    });
    const ready = conditionOf(await admin.registrationRequests.get({ name: 'reg-invalid' }), 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'TemplateInvalid' });
    expect(ready?.message).toContain('{{ .spec.fristName }} unknown placeholder');
    expect((await admin.emails.list({ namespace: child })).items).toEqual([]);
  });

  it('copies the hash to the User annotation only; the Email body never sees annotations', async () => {
    const { reconciler, child } = await withOwnTemplate('reg-annotations', '{{ .metadata.annotations }}');
    await reconcileOnce(reconciler, admin.registrationRequests, { name: 'reg-annotations' });
    const user = await admin.users.get({ namespace: child, name: child });
    expect(user.metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBe(HASH);
    expect((await admin.emails.list({ namespace: child })).items).toEqual([]);
  });

  it('does nothing for an RR that is gone', async () => {
    const { api, writes } = recorded(env.operator);
    const reconciler = registrationReconciler({ api, clock: realClock, template: TEMPLATE_REF });
    expect(await reconcileOnce(reconciler, admin.registrationRequests, { name: 'reg-gone' })).toBeUndefined();
    expect(writes).toEqual([]);
  });
});

async function tenant(name: string, metadata: Partial<NonNullable<Tenant['metadata']>> = {}): Promise<Tenant> {
  return admin.tenants.create({ metadata: { ...metadata, name }, spec: tenantSpec } as Tenant);
}

describe('Tenant reconciler (live)', () => {
  it('adds its finalizer before creating the owned Namespace, and records it in status', async () => {
    const { api, writes } = recorded(env.operator);
    const created = await tenant('t-order', { labels: { [contract.REGISTRATION_UID_LABEL]: RR_UID } });
    await reconcileOnce(tenantReconciler({ api, clock: realClock }), admin.tenants, { name: 't-order' });
    expect(writes.slice(0, 2)).toEqual(['patch tenants t-order', 'create namespaces t-order']);
    const stored = await admin.tenants.get({ name: 't-order' });
    expect(stored.metadata?.finalizers).toEqual([contract.TENANT_FINALIZER]);
    expect(stored.status?.namespace).toBe('t-order');
    const ns = await admin.namespaces.get({ name: 't-order' });
    expect(ns.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true }),
    ]);
    expect(ns.metadata?.labels?.[contract.REGISTRATION_UID_LABEL]).toBe(RR_UID);
  });

  it('binds the user name the operator runs as, e.g. its ServiceAccount in a pod', async () => {
    // In a cluster the operator is ServiceAccount cnpaas-system/cnpaas-operator, bound to the same
    // ClusterRole. A client certificate with that user name stands in for the pod's token.
    const operatorUser = 'system:serviceaccount:cnpaas-system:cnpaas-operator';
    await admin.clusterRoleBindings.create({
      metadata: { name: 'cnpaas-operator-serviceaccount' },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [{ kind: 'ServiceAccount', namespace: contract.SYSTEM_NAMESPACE, name: OPERATOR_NAME }],
    });
    const asServiceAccount = kubeWebshopApi(
      kubeConfigFrom(
        await env.cp.kubeconfigFor(operatorUser, ['system:serviceaccounts', 'system:serviceaccounts:cnpaas-system']),
      ),
    );
    await tenant('t-sa', { labels: { [contract.REGISTRATION_UID_LABEL]: RR_UID } });
    await reconcileOnce(tenantReconciler({ api: asServiceAccount, clock: realClock, operatorUser }), admin.tenants, {
      name: 't-sa',
    });
    const binding = await admin.roleBindings.get({ namespace: 't-sa', name: OPERATOR_NAME });
    expect(binding.subjects).toEqual([{ apiGroup: RBAC_GROUP, kind: 'User', name: operatorUser }]);
    // The binding is what lets that identity in: a missing Secret is a 404 to it, not a 403.
    await expect(asServiceAccount.secrets.get({ namespace: 't-sa', name: 'none' })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("makes a new Tenant's Namespace and RoleBinding without reading them first, and only reads them after", async () => {
    const { api, requests } = recorded(env.operator);
    await tenant('t-fresh', { labels: { [contract.REGISTRATION_UID_LABEL]: RR_UID } });
    await reconcileOnce(tenantReconciler({ api, clock: realClock }), admin.tenants, { name: 't-fresh' });
    expect(requests).toEqual([
      'patch tenants t-fresh',
      'create namespaces t-fresh',
      'create rolebindings t-fresh/cnpaas-operator',
      'status tenants t-fresh',
    ]);
    // With its finalizer on, the Tenant was reconciled before: its children are read, not created again.
    const before = requests.length;
    await reconcileOnce(tenantReconciler({ api, clock: realClock }), admin.tenants, { name: 't-fresh' });
    expect(requests.slice(before)).toEqual(['get namespaces t-fresh', 'get rolebindings t-fresh/cnpaas-operator']);
  });

  it("binds the operator's per-namespace ClusterRole in the new Namespace, labelled like it, before the Tenant is Ready", async () => {
    const { api, writes } = recorded(env.operator);
    const created = await tenant('t-access', { labels: { [contract.REGISTRATION_UID_LABEL]: RR_UID } });
    await reconcileOnce(tenantReconciler({ api, clock: realClock }), admin.tenants, { name: 't-access' });
    expect(writes.slice(0, 3)).toEqual([
      'patch tenants t-access',
      'create namespaces t-access',
      'create rolebindings t-access/cnpaas-operator',
    ]);
    const binding = await admin.roleBindings.get({ namespace: 't-access', name: OPERATOR_NAME });
    expect(binding.roleRef).toEqual({ apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OPERATOR_TENANT_ROLE });
    expect(binding.subjects).toEqual([{ apiGroup: RBAC_GROUP, kind: 'User', name: OPERATOR_NAME }]);
    // The confinement policy admits only objects with the managed-by label, in a namespace with the tenant label.
    expect(binding.metadata?.labels).toEqual(desiredNamespace(created).metadata?.labels);
    expect(binding.metadata?.labels).toMatchObject({
      [MANAGED_BY_LABEL]: OPERATOR_NAME,
      [contract.TENANT_LABEL]: 't-access',
    });
    // The stored Namespace has one label more, which the apiserver adds to every Namespace.
    const ns = await admin.namespaces.get({ name: 't-access' });
    expect(ns.metadata?.labels).toEqual({
      ...binding.metadata?.labels,
      'kubernetes.io/metadata.name': 't-access',
    });
    expect(binding.metadata?.ownerReferences?.[0]).toMatchObject({ uid: created.metadata?.uid, controller: true });
    expect(conditionOf(await admin.tenants.get({ name: 't-access' }), 'Ready')?.status).toBe('True');
  });

  it('reports a RoleBinding cnpaas-operator it did not make as a NameConflict and leaves it alone', async () => {
    const created = await tenant('t-rb-conflict');
    // The Tenant's own Namespace (controlled by it), with someone else's binding in the operator's name.
    await admin.namespaces.create({
      metadata: {
        name: 't-rb-conflict',
        labels: { [contract.TENANT_LABEL]: 't-rb-conflict' },
        ownerReferences: [
          {
            apiVersion: created.apiVersion!,
            kind: 'Tenant',
            name: 't-rb-conflict',
            uid: created.metadata!.uid!,
            controller: true,
          },
        ],
      },
    });
    await admin.roleBindings.create({
      metadata: { name: OPERATOR_NAME, namespace: 't-rb-conflict' },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'view' },
      subjects: [],
    });
    await reconcileOnce(tenantReconciler({ api: env.operator, clock: realClock }), admin.tenants, {
      name: 't-rb-conflict',
    });
    const stored = await admin.tenants.get({ name: 't-rb-conflict' });
    expect(conditionOf(stored, 'NameConflict')).toMatchObject({
      status: 'True',
      message: expect.stringContaining('RoleBinding t-rb-conflict/cnpaas-operator'),
    });
    expect(conditionOf(stored, 'Ready')?.status).toBe('False');
    expect((await admin.roleBindings.get({ namespace: 't-rb-conflict', name: OPERATOR_NAME })).roleRef?.name).toBe(
      'view',
    );
  });

  it('on deletion never deletes a Namespace it does not control, and then lets the Tenant go', async () => {
    await namespace('t-foreign');
    await tenant('t-foreign', { finalizers: [contract.TENANT_FINALIZER] });
    const reconciler = tenantReconciler({ api: env.operator, clock: realClock });
    await reconcileOnce(reconciler, admin.tenants, { name: 't-foreign' });
    expect(conditionOf(await admin.tenants.get({ name: 't-foreign' }), 'NameConflict')?.status).toBe('True');
    await admin.tenants.delete({ name: 't-foreign' });
    await reconcileOnce(reconciler, admin.tenants, { name: 't-foreign' });
    expect((await admin.namespaces.get({ name: 't-foreign' })).metadata?.deletionTimestamp).toBeUndefined();
    expect(await absent(() => admin.tenants.get({ name: 't-foreign' }))).toBe(true);
  });

  it('on deletion keeps the finalizer until its Namespace is really gone', async () => {
    await tenant('t-gone');
    const reconciler = tenantReconciler({ api: env.operator, clock: realClock });
    await reconcileOnce(reconciler, admin.tenants, { name: 't-gone' });
    await admin.tenants.delete({ name: 't-gone' });
    expect(await reconcileOnce(reconciler, admin.tenants, { name: 't-gone' })).toEqual({ requeueAfterMs: 2_000 });
    expect((await admin.namespaces.get({ name: 't-gone' })).metadata?.deletionTimestamp).toBeDefined();
    expect(await reconcileOnce(reconciler, admin.tenants, { name: 't-gone' })).toEqual({ requeueAfterMs: 2_000 });
    expect((await admin.tenants.get({ name: 't-gone' })).metadata?.finalizers).toEqual([contract.TENANT_FINALIZER]);
    // kube-controller-manager's namespace controller empties the Namespace and removes it.
    await vi.waitFor(async () => {
      expect(await absent(() => admin.namespaces.get({ name: 't-gone' }))).toBe(true);
    }, SETTLE);
    await reconcileOnce(reconciler, admin.tenants, { name: 't-gone' });
    expect(await absent(() => admin.tenants.get({ name: 't-gone' }))).toBe(true);
  });
});

describe('User reconciler (live)', () => {
  /**
   * A tenant namespace as the Tenant controller makes it (so the operator holds its RoleBinding
   * there), and the User controller, as the operator.
   */
  async function userWorld(ns: string, options: { apiServerUser?: string; events?: EventRecorder } = {}) {
    await tenant(ns);
    await reconcileOnce(tenantReconciler({ api: env.operator, clock: realClock }), admin.tenants, { name: ns });
    const { api, writes, requests } = recorded(env.operator);
    return { api, writes, requests, reconciler: userReconciler({ api, clock: realClock, ...options }) };
  }
  const user = (ns: string, annotations?: Record<string, string>): User => ({
    metadata: { name: 'u', namespace: ns, annotations },
    spec: { firstName: 'A', lastName: 'B', email: 'a@b.cd' },
  });

  /**
   * User `u` (with `annotations`) created in a fresh tenant namespace and reconciled once: its key,
   * the object as created, and the world's reconciler and recorders for what the test does next.
   */
  async function reconciledUser(
    ns: string,
    options: { annotations?: Record<string, string>; apiServerUser?: string; events?: EventRecorder } = {},
  ) {
    const { annotations, ...worldOptions } = options;
    const world = await userWorld(ns, worldOptions);
    const key = { namespace: ns, name: 'u' };
    const created = await admin.users.create(user(ns, annotations));
    await reconcileOnce(world.reconciler, admin.users, key);
    return { ...world, key, created };
  }

  /**
   * A User made with HASH in its annotation and reconciled, then given `later` there and reconciled
   * again (a password change): its key and its password Secret after both.
   */
  async function changePassword(ns: string, later: string) {
    const { reconciler, key } = await reconciledUser(ns, { annotations: { [contract.PASSWORD_ANNOTATION]: HASH } });
    await admin.users.mergePatch(key, { metadata: { annotations: { [contract.PASSWORD_ANNOTATION]: later } } });
    await reconcileOnce(reconciler, admin.users, key);
    return { key, secret: await admin.secrets.get({ namespace: ns, name: 'u-password' }) };
  }

  it('stores a newer hash (a password change) in the existing Secret and removes the annotation', async () => {
    // A stronger cost than the floor is a valid newer hash too.
    const newer = '$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdG5ld3NhbHRuZXc$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
    const { key, secret } = await changePassword('t-pw-change', newer);
    expect(secret.type).toBe(PASSWORD_SECRET_TYPE);
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(newer);
    const stored = await admin.users.get(key);
    expect(stored.metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.passwordRef).toEqual({ name: 'u-password' });
    expect(conditionOf(stored, 'TenantAccess')?.status).toBe('True');
  });

  it("creates a new User's eight children without reading them first, and only reads them after", async () => {
    const { reconciler, requests, key } = await reconciledUser('t-fresh-user', {
      annotations: { [contract.PASSWORD_ANNOTATION]: HASH },
    });
    const children =
      /^(get|create|update) (serviceaccounts|roles|rolebindings|secrets|clusterroles|clusterrolebindings) /;
    const first = requests.filter((r) => children.test(r));
    expect(first).toHaveLength(8);
    expect(first.filter((r) => !r.startsWith('create '))).toEqual([]);
    // The finalizer says it was reconciled before: each child is read once, nothing is created or rewritten.
    const before = requests.length;
    await reconcileOnce(reconciler, admin.users, key);
    const second = requests.slice(before).filter((r) => children.test(r));
    expect(second).toHaveLength(8);
    expect(second.filter((r) => !r.startsWith('get '))).toEqual([]);
  });

  it('derives phase and the Verified condition from status.verifiedAt, keeping verifiedAt, idempotently', async () => {
    const { reconciler, writes, key } = await reconciledUser('t-verify', {
      annotations: { [contract.PASSWORD_ANNOTATION]: HASH },
    });
    let stored = await admin.users.get(key);
    expect(stored.status?.phase).toBe('Pending');
    expect(conditionOf(stored, 'Verified')).toMatchObject({ status: 'False' });

    // What cnpaas-api-server records when a link is accepted: verifiedAt, nothing else.
    await admin.users.mergePatch(key, { status: { verifiedAt: '2026-01-01T10:00:00Z' } }, { subresource: 'status' });
    await reconcileOnce(reconciler, admin.users, key);
    stored = await admin.users.get(key);
    expect(stored.status?.phase).toBe('Verified');
    expect(stored.status?.verifiedAt).toBe('2026-01-01T10:00:00Z');
    const verified = conditionOf(stored, 'Verified');
    expect(verified).toMatchObject({ status: 'True', reason: 'LinkAccepted' });
    expect(verified?.message).toContain('2026-01-01T10:00:00Z');

    // Level-triggered: another pass writes nothing.
    const before = writes.length;
    await reconcileOnce(reconciler, admin.users, key);
    expect(writes.slice(before)).toEqual([]);
    expect((await admin.users.get(key)).metadata?.resourceVersion).toBe(stored.metadata?.resourceVersion);
  });

  it('stores a scrypt hash made before argon2id (at its floor) like any acceptable hash', async () => {
    const ns = 't-scrypt';
    const { key } = await reconciledUser(ns, { annotations: { [contract.PASSWORD_ANNOTATION]: SCRYPT_HASH } });
    const secret = await admin.secrets.get({ namespace: ns, name: 'u-password' });
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(SCRYPT_HASH);
    const stored = await admin.users.get(key);
    expect(stored.metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.passwordRef).toEqual({ name: 'u-password' });
  });

  // Each shaped like a hash closely enough to pass a prefix check, which is all the controller used to ask for.
  const weakHash = '$scrypt$ln=1,r=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
  it.each([
    ['a below-floor scrypt hash', 't-weak-scrypt', weakHash, 'UnacceptableHash'],
    ['a garbage value with the scrypt prefix', 't-weak-garbage', '$scrypt$Secret123!', 'UnacceptableHash'],
    [
      'an argon2id string with a 4-byte salt and a 3-byte key',
      't-weak-short',
      '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$a2V5',
      'UnacceptableHash',
    ],
    [
      'a below-floor argon2id hash',
      't-weak-argon2id',
      '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
      'UnacceptableHash',
    ],
    [
      'an argon2i string',
      't-weak-argon2i',
      '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
      'UnacceptableHash',
    ],
    [
      'a bcrypt string',
      't-weak-bcrypt',
      '$2b$04$abcdefghijklmnopqrstuuVWXYZ0123456789abcdefghijklmno',
      'UnacceptableHash',
    ],
    ['plain text', 't-plain-text', 'Secret123!', 'NotAHash'],
  ])(
    'never writes %s into the Secret: removes it, PasswordStored=False and a Warning event',
    async (_label, ns, value, reason) => {
      const events = new EventRecorder({
        sink: kubeEventSink(env.operatorKc),
        reportingController: `test/${OPERATOR_NAME}`,
        reportingInstance: 'test',
        log: silentLog,
        dedupeWindowMs: 0,
      });
      const { key, created } = await reconciledUser(ns, {
        annotations: { [contract.PASSWORD_ANNOTATION]: value },
        events,
      });
      expect((await admin.secrets.list({ namespace: ns })).items.map((s) => s.metadata?.name)).not.toContain(
        'u-password',
      );
      const stored = await admin.users.get(key);
      expect(stored.metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBeUndefined();
      expect(stored.status?.passwordRef).toBeUndefined();
      const condition = conditionOf(stored, 'PasswordStored');
      expect(condition).toMatchObject({ status: 'False', reason });
      expect(condition?.message).toContain('$argon2id$ PHC string with cost at least m=19456,t=2,p=1');
      expect(condition?.message).toContain('ln=15,r=8,p=3');
      expect(condition?.message).not.toContain(value);
      // The event as the apiserver stored it, written with the operator's own identity.
      const storedEvents = new ResourceClient<KubernetesObject & Record<string, unknown>>(
        env.cp.kubeConfig,
        EVENTS_RESOURCE,
        { namespace: ns },
      );
      await vi.waitFor(async () => {
        const warnings = (await storedEvents.list()).items.filter(
          (e) => (e['regarding'] as { uid?: string } | undefined)?.uid === created.metadata?.uid,
        );
        expect(warnings).toEqual([
          expect.objectContaining({ type: 'Warning', reason, action: 'StorePassword', note: condition?.message }),
        ]);
      });
    },
  );

  it('keeps an already stored Secret when a later annotation is unacceptable', async () => {
    const { key, secret } = await changePassword('t-keep-secret', weakHash);
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(HASH);
    expect((await admin.users.get(key)).metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBeUndefined();
  });

  it('does not write the hash into a Secret it does not control (NameConflict)', async () => {
    const ns = 't-secret-conflict';
    const { reconciler } = await userWorld(ns);
    await admin.secrets.create({ metadata: { name: 'u-password', namespace: ns }, data: { hash: 'b3RoZXI=' } });
    await admin.users.create(user(ns, { [contract.PASSWORD_ANNOTATION]: HASH }));
    expect(await reconcileOnce(reconciler, admin.users, { namespace: ns, name: 'u' })).toEqual({
      requeueAfterMs: 60_000,
    });
    expect((await admin.secrets.get({ namespace: ns, name: 'u-password' })).data).toEqual({ hash: 'b3RoZXI=' });
    const stored = await admin.users.get({ namespace: ns, name: 'u' });
    expect(stored.metadata?.annotations?.[contract.PASSWORD_ANNOTATION]).toBe(HASH);
    expect(conditionOf(stored, 'NameConflict')?.message).toContain(`Secret ${ns}/u-password`);
  });

  it("binds cnpaas-api-server's ServiceAccount, or only its client-certificate user when the operator is told it runs as one", async () => {
    const bindingOf = async (ns: string, options: { apiServerUser?: string }) => {
      await reconciledUser(ns, options);
      return (await admin.roleBindings.get({ namespace: ns, name: 'u-api-server' })).subjects;
    };
    expect(await bindingOf('t-api-sa', {})).toEqual([
      { kind: 'ServiceAccount', namespace: 'cnpaas-system', name: 'cnpaas-api-server' },
    ]);
    expect(await bindingOf('t-api-user', { apiServerUser: 'cnpaas-api-server' })).toEqual([
      { apiGroup: RBAC_GROUP, kind: 'User', name: 'cnpaas-api-server' },
    ]);
  });

  it('leaves Roles and bindings alone although the apiserver answers their fields in another order', async () => {
    const ns = 't-field-order';
    const { reconciler, writes, key } = await reconciledUser(ns);
    const role = await admin.roles.get({ namespace: ns, name: 'u-api-server' });
    // The order kube-apiserver serialises them in (Go struct order): verbs first, not as the operator wrote them.
    expect(Object.keys(role.rules?.[0] ?? {})[0]).toBe('verbs');
    const before = writes.length;
    await reconcileOnce(reconciler, admin.users, key);
    expect(writes.slice(before).filter((w) => /^update (roles|rolebindings) /.test(w))).toEqual([]);
    expect((await admin.roles.get({ namespace: ns, name: 'u-api-server' })).metadata?.resourceVersion).toBe(
      role.metadata?.resourceVersion,
    );
  });

  it('restores drifted Role rules', async () => {
    const ns = 't-drift';
    const { reconciler, key } = await reconciledUser(ns);
    await admin.roles.mergePatch(
      { namespace: ns, name: 'u' },
      { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    );
    await reconcileOnce(reconciler, admin.users, key);
    expect((await admin.roles.get({ namespace: ns, name: 'u' })).rules).toEqual([
      {
        apiGroups: ['webshop.cnpaas.dev'],
        resources: ['users'],
        resourceNames: ['u'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
  });

  it('on deletion removes only the cluster RBAC made for this very User, then its finalizer', async () => {
    const ns = 't-user-delete';
    const { reconciler, key } = await reconciledUser(ns);
    const rbacName = contract.userClusterRbacName(ns, 'u');
    await admin.clusterRoles.get({ name: rbacName });
    expect((await admin.users.get(key)).metadata?.finalizers).toEqual([contract.USER_FINALIZER]);
    await admin.users.delete(key);
    await reconcileOnce(reconciler, admin.users, key);
    expect(await absent(() => admin.clusterRoles.get({ name: rbacName }))).toBe(true);
    expect(await absent(() => admin.clusterRoleBindings.get({ name: rbacName }))).toBe(true);
    expect(await absent(() => admin.users.get(key))).toBe(true);
  });

  it('serves no User outside a tenant namespace: says so on the User instead of retrying a refused create', async () => {
    // The operator holds no access there (no RoleBinding of its own, and the confinement policy
    // admits its writes only in tenant namespaces): every create would be refused, on every retry.
    await namespace('plain-users');
    await admin.users.create(user('plain-users'));
    const { api, writes } = recorded(env.operator);
    const key = { namespace: 'plain-users', name: 'u' };
    expect(await reconcileOnce(userReconciler({ api, clock: realClock }), admin.users, key)).toBeUndefined();
    expect(conditionOf(await admin.users.get(key), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NotATenantNamespace',
    });
    expect(writes).toEqual(['status users plain-users/u']);
  });

  it('grants no Tenant access in a tenant-labelled namespace no Tenant controls', async () => {
    // Such a namespace as the operator can work in: labelled like a tenant's, with its RoleBinding.
    const ns = 't-no-tenant';
    await namespace(ns, { [contract.TENANT_LABEL]: ns, [MANAGED_BY_LABEL]: OPERATOR_NAME });
    await admin.roleBindings.create({
      metadata: { name: OPERATOR_NAME, namespace: ns },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OPERATOR_TENANT_ROLE },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: OPERATOR_NAME }],
    });
    await admin.users.create(user(ns));
    await reconcileOnce(userReconciler({ api: env.operator, clock: realClock }), admin.users, {
      namespace: ns,
      name: 'u',
    });
    expect(await absent(() => admin.clusterRoles.get({ name: contract.userClusterRbacName(ns, 'u') }))).toBe(true);
    expect(conditionOf(await admin.users.get({ namespace: ns, name: 'u' }), 'TenantAccess')?.reason).toBe('NoTenant');
  });
});

describe('claim release reconciler (live)', () => {
  function claimWorld(options: { clock?: FakeClock; users?: User[]; registrations?: RegistrationRequest[] } = {}) {
    const clock = options.clock ?? realClock;
    return claimReleaseReconciler({
      api: env.operator,
      clock,
      graceMs: 60_000,
      cachedRegistrations: () => options.registrations ?? [],
      cachedUsers: () => options.users ?? [],
    });
  }
  async function claim(options: Parameters<typeof claimConfigMap>[0]): Promise<{ namespace: string; name: string }> {
    const created = await admin.configMaps.create(claimConfigMap(options) as ConfigMap);
    return { namespace: contract.SYSTEM_NAMESPACE, name: created.metadata!.name! };
  }
  const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

  it('waits out the grace period before releasing an orphaned claim', async () => {
    // The claim's age is judged by the reconciler's clock: a FakeClock moves it exactly.
    const clock = new FakeClock(Date.now());
    const email = 'grace@example.com';
    const target = await claim({
      name: contract.claimNameFor(email),
      email,
      ownerUid: randomUUID(),
      claimedBy: 'RegistrationRequest/claim-grace',
      claimedAt: new Date(clock.now() - 20_000).toISOString(),
    });
    const reconciler = claimWorld({ clock });
    expect(await reconcileOnce(reconciler, admin.configMaps, target)).toEqual({ requeueAfterMs: 40_000 });
    await admin.configMaps.get(target);
    await clock.advance(40_000);
    await reconcileOnce(reconciler, admin.configMaps, target);
    expect(await absent(() => admin.configMaps.get(target))).toBe(true);
  });

  it('keeps a claim whose User exists even when the caches have not seen it (consistent LIST by label)', async () => {
    const uid = randomUUID();
    const email = 'held-by-user@example.com';
    await namespace('t-claim-user');
    await admin.users.create({
      metadata: { name: 'u', namespace: 't-claim-user', labels: { [contract.REGISTRATION_UID_LABEL]: uid } },
      spec: { firstName: 'A', lastName: 'B', email },
    });
    const target = await claim({
      name: contract.claimNameFor(email),
      email,
      ownerUid: uid,
      claimedBy: 'RegistrationRequest/claim-user-gone',
      claimedAt: hourAgo(),
    });
    expect(await reconcileOnce(claimWorld(), admin.configMaps, target)).toBeUndefined();
    await admin.configMaps.get(target);
  });

  it('keeps a claim whose RegistrationRequest is still in flight (GET by the name the claim records)', async () => {
    const { uid } = await register('claim-in-flight');
    const email = 'claim-in-flight@example.com';
    const target = await claim({
      name: contract.claimNameFor(email),
      email,
      ownerUid: uid,
      claimedBy: 'RegistrationRequest/claim-in-flight',
      claimedAt: hourAgo(),
    });
    await reconcileOnce(claimWorld(), admin.configMaps, target);
    await admin.configMaps.get(target);
  });

  it('keeps a claim when a cached User holds the address under another registration', async () => {
    const cachedUser: User = {
      metadata: { name: 'x', namespace: 'y', uid: 'u-1' },
      spec: { firstName: 'A', lastName: 'B', email: 'CACHED@example.com' },
    };
    const target = await claim({
      name: contract.claimNameFor('cached@example.com'),
      email: 'cached@example.com',
      ownerUid: randomUUID(),
      claimedBy: 'RegistrationRequest/claim-cached',
      claimedAt: hourAgo(),
    });
    await reconcileOnce(claimWorld({ users: [cachedUser] }), admin.configMaps, target);
    await admin.configMaps.get(target);
  });

  it('leaves ConfigMaps that are not claims alone, and reads the claims the webhooks write', async () => {
    const target = { namespace: contract.SYSTEM_NAMESPACE, name: 'email-claim-zz' };
    await admin.configMaps.create({ metadata: target, data: {} });
    await reconcileOnce(claimWorld(), admin.configMaps, target);
    await admin.configMaps.get(target);
    const name = contract.claimNameFor('ann@example.com');
    expect(
      readClaim(
        claimConfigMap({
          name,
          ownerUid: 'u',
          claimedAt: '2025-01-01T00:00:00.000Z',
          kind: 'user',
          claimedBy: 'User/a/b',
        }) as ConfigMap,
      ),
    ).toMatchObject({ ownerUidKind: 'user', claimedBy: 'User/a/b', claimedAtMs: Date.UTC(2025, 0, 1) });
  });
});
