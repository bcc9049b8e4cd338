/**
 * The registration flow through the Manager on a real kube-apiserver on
 * cnpaas-store (@cnpaas/platform/testing), with kube-controller-manager for
 * namespace finalization and garbage collection. The controllers run as the
 * operator's own identity (a client certificate with CN cnpaas-operator),
 * authorized only by the RBAC and confined by the admission policy of
 * manifests/, so every write they make is one those manifests allow.
 *
 * What stays in memory (registration-flow.test.ts) is what a real apiserver
 * cannot be made to do on cue: one request failing before or after its write.
 *
 * One control plane for the file; each test registers its own address, so the
 * tests do not see each other's objects.
 */
import { awaitCondition, EventRecorder, isDeleted, kubeEventSink, Manager, ResourceClient } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addWebshopControllers, type WebshopControllers } from './controllers.js';
import { kubeWebshopApi, type WebshopApi } from './kube-api.js';
import { absent, conditionOf, startOperatorControlPlane, type OperatorControlPlane } from './live-test-support.js';
import {
  OPERATOR_NAME,
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  SYSTEM_NAMESPACE,
  TENANT_FINALIZER,
  USER_FINALIZER,
  claimNameFor,
  registrationNames,
  userClusterRbacName,
} from './names.js';
import * as R from './resources.js';
import { HASH, claimConfigMap, registrationRequest, registrationTemplate } from './test-support.js';
import type { ConfigMap, EmailTemplate, RegistrationRequest, Role, RoleBinding, Secret, Tenant } from './types.js';

/** Up to this long for the controllers (and kube-controller-manager) to reach a state. */
const SETTLE = { timeout: 30_000, interval: 100 };
const CLAIM_GRACE_MS = 2_000;
const TEMPLATE = {
  apiVersion: 'webshop.cnpaas.dev/v1',
  kind: 'EmailTemplate',
  ...registrationTemplate(),
} as EmailTemplate;

let cp: OperatorControlPlane['cp'];
/** The admin's view, for the test's own reads and writes. */
let admin: WebshopApi;
let operatorKc: OperatorControlPlane['operatorKc'];

beforeAll(async () => {
  // The system namespace, the operator's RBAC and its confinement policy. The template is the tests' own.
  const env = await startOperatorControlPlane({ controllerManager: true });
  ({ cp, admin, operatorKc } = env);
  await admin.emailTemplates.create(TEMPLATE);
}, 180_000);

afterAll(async () => {
  await cp?.stop();
});

const running: Manager[] = [];
afterEach(async () => {
  for (const mgr of running.splice(0)) await mgr.stop();
});

/** The operator's controllers as `cnpaas up` runs them: its own kubeconfig, its events, its RBAC. */
function startOperator(): { controllers: WebshopControllers } {
  const mgr = new Manager({ kubeConfig: operatorKc, log: silentLog, informerDefaults: { resyncPeriodMs: 0 } });
  const controllers = addWebshopControllers({
    manager: mgr,
    api: kubeWebshopApi(operatorKc),
    events: new EventRecorder({
      sink: kubeEventSink(operatorKc),
      reportingController: `test/${OPERATOR_NAME}`,
      reportingInstance: 'test',
      log: silentLog,
    }),
    claimGraceMs: CLAIM_GRACE_MS,
    operatorUser: OPERATOR_NAME,
  });
  void mgr.start();
  running.push(mgr);
  return { controllers };
}

/**
 * Follows one RegistrationRequest from its creation until it is deleted and resolves with the last
 * state seen: the status the API server reads from the DELETED event.
 */
async function untilDeleted(rr: RegistrationRequest): Promise<RegistrationRequest | undefined> {
  let last: RegistrationRequest | undefined = rr;
  const client = new ResourceClient<RegistrationRequest>(cp.kubeConfig, R.REGISTRATION_REQUESTS);
  await awaitCondition(client, { name: rr.metadata!.name! }, isDeleted(rr.metadata!.uid), {
    fromResourceVersion: rr.metadata!.resourceVersion,
    timeoutMs: SETTLE.timeout,
    onChange: (o) => {
      if (o) last = o;
    },
  });
  return last;
}

/** A RegistrationRequest as the API server creates it (the password already hashed), with the UID it got. */
async function register(name: string, email: string): Promise<RegistrationRequest> {
  const rr = registrationRequest({ name, email });
  delete rr.metadata!.uid;
  return admin.registrationRequests.create(rr);
}

/** The User's own reconcile goes on after the RegistrationRequest is done: the hash, its Secret, its access. */
async function untilUserReady(child: string): Promise<void> {
  await vi.waitFor(async () => {
    const user = await admin.users.get({ namespace: child, name: child });
    expect(conditionOf(user, 'Ready')?.status).toBe('True');
  }, SETTLE);
}

describe('the registration flow on a real kube-apiserver', () => {
  it('turns a RegistrationRequest into Tenant, Namespace, User, Secret, RBAC and welcome Email, then deletes it', async () => {
    startOperator();
    const rr = await register('ann-lee', 'ann@example.com');
    const names = registrationNames(rr.metadata!.uid);
    const child = names.tenant;

    const final = await untilDeleted(rr);
    expect(final?.status).toMatchObject({ tenant: child, namespace: child, user: child, email: names.email });
    expect(conditionOf(final, 'Ready')).toMatchObject({ status: 'True', reason: 'Completed' });
    await untilUserReady(child);

    const tenant = await admin.tenants.get({ name: child });
    expect(tenant.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(rr.metadata!.uid);
    expect(tenant.metadata?.finalizers).toEqual([TENANT_FINALIZER]);
    expect(tenant.spec?.city).toBe('Berlin');
    expect(tenant.status?.namespace).toBe(child);

    const ns = await admin.namespaces.get({ name: child });
    expect(ns.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Tenant', uid: tenant.metadata?.uid, controller: true }),
    ]);
    expect(ns.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(rr.metadata!.uid);

    const user = await admin.users.get({ namespace: child, name: child });
    // The hash moved into the Secret and left the User.
    expect(user.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(user.metadata?.finalizers).toEqual([USER_FINALIZER]);
    expect(user.status?.passwordRef).toEqual({ name: `${child}-password` });
    expect(user.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(user.status?.phase).toBe('Pending');
    expect(user.status?.conditions?.find((c) => c.type === 'Verified')).toMatchObject({
      status: 'False',
      reason: 'WaitingForLink',
    });
    const secret: Secret = await admin.secrets.get({ namespace: child, name: `${child}-password` });
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(HASH);

    const role: Role = await admin.roles.get({ namespace: child, name: child });
    expect(role.rules).toEqual([
      {
        apiGroups: ['webshop.cnpaas.dev'],
        resources: ['users'],
        resourceNames: [child],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    const binding: RoleBinding = await admin.roleBindings.get({ namespace: child, name: child });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: child, namespace: child }]);
    await admin.serviceAccounts.get({ namespace: child, name: child });

    const rbacName = userClusterRbacName(child, child);
    const clusterRole: Role = await admin.clusterRoles.get({ name: rbacName });
    expect(clusterRole.rules).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['tenants'], resourceNames: [child], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: [child], verbs: ['get'] },
    ]);
    expect(clusterRole.metadata?.ownerReferences?.[0]?.uid).toBe(tenant.metadata?.uid);
    expect((await admin.clusterRoleBindings.get({ name: rbacName })).roleRef?.name).toBe(rbacName);

    const email = await admin.emails.get({ namespace: child, name: names.email });
    expect(email.spec).toEqual({
      toAddress: 'ann@example.com',
      fromName: 'Webshop',
      fromAddress: 'shop@example.com',
      subject: 'Welcome, Ann',
      body: 'Hello Ann Lee, welcome to Lee & Co!',
      format: 'text',
    });
    expect(email.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'User', uid: user.metadata?.uid });
  });
  it("makes a Tenant's Namespace again when it is deleted under the live Tenant (its own create wakes nothing, a delete does)", async () => {
    startOperator();
    const rr = await register('nia-ross', 'nia@example.com');
    const child = registrationNames(rr.metadata!.uid).tenant;
    await untilDeleted(rr);
    const first = await admin.namespaces.get({ name: child });
    await admin.namespaces.delete({ name: child });
    await vi.waitFor(async () => {
      const again = await admin.namespaces.get({ name: child });
      expect(again.metadata?.uid).not.toBe(first.metadata?.uid);
      expect(again.metadata?.deletionTimestamp).toBeUndefined();
    }, SETTLE);
    const tenant = await admin.tenants.get({ name: child });
    const again = await admin.namespaces.get({ name: child });
    expect(again.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Tenant', uid: tenant.metadata?.uid, controller: true }),
    ]);
  });

  it('never adopts a Tenant of another registration: NameConflict, nothing else created, the RR stays', async () => {
    // The Tenant's name derives from the RR's UID, which the apiserver assigns: take the UID first,
    // then put a namesake of another registration in the way, then start the operator.
    const rr = await register('bob-roe', 'bob@example.com');
    const child = registrationNames(rr.metadata!.uid).tenant;
    await admin.tenants.create({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'Tenant',
      metadata: { name: child, labels: { [REGISTRATION_UID_LABEL]: 'someone-else' } },
      spec: { companyName: 'Other', country: 'FR', city: 'Paris', address: 'x', postalCode: '1' },
    } as Tenant);
    startOperator();
    await vi.waitFor(async () => {
      const seen = await admin.registrationRequests.get({ name: 'bob-roe' });
      expect(conditionOf(seen, 'NameConflict')).toMatchObject({ status: 'True', reason: 'NameConflict' });
    }, SETTLE);
    const seen = await admin.registrationRequests.get({ name: 'bob-roe' });
    expect(conditionOf(seen, 'Ready')?.status).toBe('False');
    expect((await admin.tenants.get({ name: child })).metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe('someone-else');
    expect((await admin.users.list()).items.filter((u) => u.metadata?.name === child)).toEqual([]);
    await admin.registrationRequests.delete({ name: 'bob-roe' });
  });
  it('waits for a missing EmailTemplate (no silent skip), and finishes once it appears', async () => {
    await admin.emailTemplates.delete({ namespace: SYSTEM_NAMESPACE, name: TEMPLATE.metadata!.name! });
    try {
      startOperator();
      const rr = await register('cy-doe', 'cy@example.com');
      const child = registrationNames(rr.metadata!.uid).tenant;
      await vi.waitFor(async () => {
        const seen = await admin.registrationRequests.get({ name: 'cy-doe' });
        expect(conditionOf(seen, 'Ready')).toMatchObject({ status: 'False', reason: 'TemplateNotFound' });
      }, SETTLE);
      // Everything before the mail is there; the mail is not.
      await admin.users.get({ namespace: child, name: child });
      expect((await admin.emails.list({ namespace: child })).items).toEqual([]);

      const deleted = untilDeleted(await admin.registrationRequests.get({ name: 'cy-doe' }));
      await admin.emailTemplates.create(TEMPLATE);
      expect(conditionOf(await deleted, 'Ready')).toMatchObject({ status: 'True', reason: 'Completed' });
      expect((await admin.emails.list({ namespace: child })).items).toHaveLength(1);
    } finally {
      if (await absent(() => admin.emailTemplates.get({ namespace: SYSTEM_NAMESPACE, name: 'registration' })))
        await admin.emailTemplates.create(TEMPLATE);
    }
  });

  it("deleting the Tenant deletes its Namespace, waits until it is gone, removes the user's cluster RBAC, and releases the email claim after the grace period", async () => {
    const { controllers } = startOperator();
    const rr = await register('di-poe', 'di@example.com');
    const child = registrationNames(rr.metadata!.uid).tenant;
    // The claim the webhooks would have made when the address was first used.
    const claimName = claimNameFor('di@example.com');
    await admin.configMaps.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...claimConfigMap({
        name: claimName,
        ownerUid: rr.metadata!.uid!,
        claimedAt: new Date().toISOString(),
        email: 'di@example.com',
        claimedBy: 'RegistrationRequest/di-poe',
      }),
    } as ConfigMap);
    await untilDeleted(rr);
    await untilUserReady(child);
    const rbacName = userClusterRbacName(child, child);
    await admin.clusterRoles.get({ name: rbacName });

    // Past the grace period, the claim stays while its User lives.
    await new Promise((resolve) => setTimeout(resolve, CLAIM_GRACE_MS + 1_000));
    await admin.configMaps.get({ namespace: SYSTEM_NAMESPACE, name: claimName });

    const tenant = await admin.tenants.get({ name: child });
    await admin.tenants.delete({ name: child });
    // The finalizer holds the Tenant while kube-controller-manager empties and removes its Namespace.
    await vi.waitFor(async () => {
      expect((await admin.namespaces.get({ name: child })).metadata?.deletionTimestamp).toBeDefined();
    }, SETTLE);
    expect((await admin.tenants.get({ name: child })).metadata?.uid).toBe(tenant.metadata?.uid);

    await vi.waitFor(
      async () => {
        expect(await absent(() => admin.tenants.get({ name: child }))).toBe(true);
      },
      { ...SETTLE, timeout: 90_000 },
    );
    expect(await absent(() => admin.namespaces.get({ name: child }))).toBe(true);
    expect(await absent(() => admin.clusterRoles.get({ name: rbacName }))).toBe(true);
    expect(await absent(() => admin.clusterRoleBindings.get({ name: rbacName }))).toBe(true);
    expect((await admin.users.list({ namespace: child })).items).toEqual([]);

    await vi.waitFor(async () => {
      expect(await absent(() => admin.configMaps.get({ namespace: SYSTEM_NAMESPACE, name: claimName }))).toBe(true);
    }, SETTLE);
    expect(await controllers.metrics.claimsReleased.get()).toMatchObject({ values: [{ value: 1 }] });
  }, 150_000);
});
