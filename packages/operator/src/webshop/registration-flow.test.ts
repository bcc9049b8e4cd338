/**
 * The whole registration flow through the Manager, on the in-memory
 * apiserver (test-support.ts): a live kube-apiserver is not available to
 * these unit tests yet, so RBAC, admission, real garbage collection and the
 * namespace controller are proven by the integration suite, not here.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventBody, EventRecorder, FakeClock, Manager, type WatchEvent } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { addWebshopControllers } from './controllers.js';
import {
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  TENANT_FINALIZER,
  USER_FINALIZER,
  claimNameFor,
  userClusterRbacName,
} from './names.js';
import * as R from './resources.js';
import {
  CHILD,
  FakeCluster,
  HASH,
  RR_UID,
  claimConfigMap,
  registrationRequest,
  registrationTemplate,
  seedSystem,
} from './test-support.js';
import type { Email, RegistrationRequest, Role, RoleBinding, Secret, Tenant, User } from './types.js';

function stack(options: { template?: boolean; claimGraceMs?: number } = {}) {
  const clock = new FakeClock();
  const cluster = new FakeCluster(clock);
  seedSystem(cluster, options);
  const events: EventBody[] = [];
  const recorder = new EventRecorder({
    sink: { create: async (e) => void events.push(e) },
    reportingController: 'test',
    reportingInstance: 'test',
    clock,
    log: silentLog,
    dedupeWindowMs: 0,
  });
  const mgr = new Manager({
    clock,
    log: silentLog,
    listerWatcher: cluster.listerWatcher,
    informerDefaults: { resyncPeriodMs: 0 },
  });
  const controllers = addWebshopControllers({
    manager: mgr,
    api: cluster.webshopApi(),
    clock,
    events: recorder,
    claimGraceMs: options.claimGraceMs ?? 60_000,
  });
  // Every RR event, to read the status the API server would read from DELETED.
  const rrEvents: WatchEvent<KubernetesObject>[] = [];
  cluster.collection(R.REGISTRATION_REQUESTS).watch({ resourceVersion: '0' }, (e) => rrEvents.push(e));
  const run = mgr.start();
  running.push(mgr);
  return { clock, cluster, api: cluster.webshopApi(), mgr, run, events, rrEvents, controllers };
}

const running: Manager[] = [];
afterEach(async () => {
  for (const mgr of running.splice(0)) await mgr.stop();
});

describe('the registration flow (in memory)', () => {
  it('turns a RegistrationRequest into Tenant, Namespace, User, Secret, RBAC and welcome Email, then deletes it', async () => {
    const s = stack();
    await s.clock.advance(100);
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(5_000);

    expect(s.cluster.objects(R.REGISTRATION_REQUESTS)).toEqual([]);
    const deleted = s.rrEvents.find((e) => e.type === 'DELETED')?.object as RegistrationRequest | undefined;
    expect(deleted?.status).toMatchObject({ tenant: CHILD, namespace: CHILD, user: CHILD, email: `${CHILD}-welcome` });
    expect(deleted?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Completed',
    });

    const tenant = s.cluster.find<Tenant>(R.TENANTS, { name: CHILD })!;
    expect(tenant.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(RR_UID);
    expect(tenant.metadata?.finalizers).toEqual([TENANT_FINALIZER]);
    expect(tenant.spec?.city).toBe('Berlin');
    expect(tenant.status?.namespace).toBe(CHILD);

    const ns = s.cluster.find(R.NAMESPACES, { name: CHILD })!;
    expect(ns.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Tenant', uid: tenant.metadata?.uid, controller: true }),
    ]);
    expect(ns.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(RR_UID);

    const user = s.cluster.find<User>(R.USERS, { namespace: CHILD, name: CHILD })!;
    expect(user.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(RR_UID);
    // The hash moved into the Secret and left the User.
    expect(user.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(user.metadata?.finalizers).toEqual([USER_FINALIZER]);
    expect(user.status?.passwordRef).toEqual({ name: `${CHILD}-password` });
    expect(user.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const secret = s.cluster.find<Secret>(R.SECRETS, { namespace: CHILD, name: `${CHILD}-password` })!;
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(HASH);

    const role = s.cluster.find<Role>(R.ROLES, { namespace: CHILD, name: CHILD })!;
    expect(role.rules).toEqual([
      {
        apiGroups: ['webshop.cnpaas.dev'],
        resources: ['users'],
        resourceNames: [CHILD],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    const binding = s.cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: CHILD, name: CHILD })!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: CHILD, namespace: CHILD }]);
    expect(s.cluster.find(R.SERVICE_ACCOUNTS, { namespace: CHILD, name: CHILD })).toBeDefined();

    const rbacName = userClusterRbacName(CHILD, CHILD);
    const clusterRole = s.cluster.find<Role>(R.CLUSTER_ROLES, { name: rbacName })!;
    expect(clusterRole.rules).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['tenants'], resourceNames: [CHILD], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: [CHILD], verbs: ['get'] },
    ]);
    // cnpaas-api-server's access to this one User: every rule names its object.
    const apiRole = s.cluster.find<Role>(R.ROLES, { namespace: CHILD, name: `${CHILD}-api-server` })!;
    expect(apiRole.rules).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], resourceNames: [CHILD], verbs: ['get'] },
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['users/status'], resourceNames: [CHILD], verbs: ['patch'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [`${CHILD}-password`], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [CHILD], verbs: ['create'] },
    ]);
    const apiBinding = s.cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: CHILD, name: `${CHILD}-api-server` })!;
    expect(apiBinding.subjects).toEqual([
      { kind: 'ServiceAccount', namespace: 'cnpaas-system', name: 'cnpaas-api-server' },
    ]);
    expect(apiBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: `${CHILD}-api-server`,
    });
    // Not verified yet: Pending, and the condition says what it waits for.
    expect(user.status?.phase).toBe('Pending');
    expect(user.status?.conditions?.find((c) => c.type === 'Verified')).toMatchObject({
      status: 'False',
      reason: 'WaitingForLink',
    });
    expect(clusterRole.metadata?.ownerReferences?.[0]?.uid).toBe(tenant.metadata?.uid);
    expect(s.cluster.find<RoleBinding>(R.CLUSTER_ROLE_BINDINGS, { name: rbacName })?.roleRef?.name).toBe(rbacName);

    const email = s.cluster.find<Email>(R.EMAILS, { namespace: CHILD, name: `${CHILD}-welcome` })!;
    expect(email.spec).toEqual({
      toAddress: 'ann@example.com',
      fromName: 'Webshop',
      fromAddress: 'shop@example.com',
      subject: 'Welcome, Ann',
      body: 'Hello Ann Lee, welcome to Lee & Co!',
      format: 'text',
    });
    expect(email.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'User', uid: user.metadata?.uid });
    expect(email.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(RR_UID);

    // Exactly one of each: nothing was created twice.
    const creates = s.cluster.writes.filter((w) => w.startsWith('create '));
    expect(new Set(creates).size).toBe(creates.length);
  });

  // Each of these fails once at one step, like a crash or an apiserver error there.
  const faults: Array<[verb: 'create' | 'patch' | 'delete' | 'get', plural: string]> = [
    ['create', 'tenants'],
    ['create', 'namespaces'],
    ['get', 'namespaces'],
    ['create', 'users'],
    ['get', 'emailtemplates'],
    ['create', 'emails'],
    ['patch', 'registrationrequests'],
    ['delete', 'registrationrequests'],
    ['create', 'secrets'],
    ['patch', 'users'],
    ['create', 'clusterrolebindings'],
  ];
  const cases = faults.flatMap(([verb, plural]) => [
    [verb, plural, 'before'] as const,
    ...(verb === 'get' ? [] : [[verb, plural, 'after'] as const]),
  ]);
  it.each(cases)('finishes without duplicates when %s %s fails %s the write', async (verb, plural, when) => {
    const s = stack();
    await s.clock.advance(100);
    s.cluster.failNext(verb, plural, { times: 2, afterWrite: when === 'after' });
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(10_000);
    expect(s.cluster.objects(R.REGISTRATION_REQUESTS)).toEqual([]);
    for (const ref of [R.TENANTS, R.USERS, R.EMAILS, R.SECRETS, R.CLUSTER_ROLES])
      expect(s.cluster.objects(ref)).toHaveLength(1);
    const user = s.cluster.find<User>(R.USERS, { namespace: CHILD, name: CHILD })!;
    expect(user.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    const creates = s.cluster.writes.filter((w) => w.startsWith('create '));
    expect(new Set(creates).size).toBe(creates.length);
  });

  it('never adopts a Tenant of another registration: NameConflict, nothing else created, the RR stays', async () => {
    const s = stack();
    s.cluster.seed(R.TENANTS, {
      metadata: { name: CHILD, labels: { [REGISTRATION_UID_LABEL]: 'someone-else' } },
      spec: { country: 'FR', city: 'Paris', address: 'x', postalCode: '1' },
    } as Tenant);
    await s.clock.advance(100);
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(5_000);
    const rr = s.cluster.find<RegistrationRequest>(R.REGISTRATION_REQUESTS, { name: 'ann-lee' })!;
    expect(rr.status?.conditions?.find((c) => c.type === 'NameConflict')).toMatchObject({
      status: 'True',
      reason: 'NameConflict',
    });
    expect(rr.status?.conditions?.find((c) => c.type === 'NameConflict')?.message).toContain(`Tenant ${CHILD}`);
    expect(rr.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(s.cluster.find<Tenant>(R.TENANTS, { name: CHILD })?.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(
      'someone-else',
    );
    expect(s.cluster.objects(R.USERS)).toEqual([]);
    expect(s.events.some((e) => e.reason === 'NameConflict' && e.type === 'Warning')).toBe(true);
  });

  it('waits for a missing EmailTemplate (no silent skip), and finishes once it appears', async () => {
    const s = stack({ template: false });
    await s.clock.advance(100);
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(5_000);
    const rr = s.cluster.find<RegistrationRequest>(R.REGISTRATION_REQUESTS, { name: 'ann-lee' })!;
    expect(rr.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'TemplateNotFound',
    });
    expect(s.cluster.objects(R.EMAILS)).toEqual([]);
    expect(s.cluster.objects(R.USERS)).toHaveLength(1);

    await s.api.emailTemplates.create(registrationTemplate());
    await s.clock.advance(1_000);
    expect(s.cluster.objects(R.REGISTRATION_REQUESTS)).toEqual([]);
    expect(s.cluster.objects(R.EMAILS)).toHaveLength(1);
  });

  it("deleting the Tenant deletes its Namespace, waits until it is gone, and removes the user's cluster RBAC", async () => {
    const s = stack();
    await s.clock.advance(100);
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(5_000);
    const rbacName = userClusterRbacName(CHILD, CHILD);
    expect(s.cluster.find(R.CLUSTER_ROLES, { name: rbacName })).toBeDefined();

    await s.api.tenants.delete({ name: CHILD });
    await s.clock.advance(1_000);
    // The finalizer holds the Tenant while its Namespace terminates.
    expect(s.cluster.find<Tenant>(R.TENANTS, { name: CHILD })?.metadata?.deletionTimestamp).toBeDefined();
    expect(s.cluster.find(R.NAMESPACES, { name: CHILD })?.metadata?.deletionTimestamp).toBeDefined();

    await s.cluster.finishNamespaceDeletions(); // the User gets a deletionTimestamp; its finalizer runs
    await s.clock.advance(1_000);
    expect(s.cluster.find(R.CLUSTER_ROLES, { name: rbacName })).toBeUndefined();
    expect(s.cluster.find(R.CLUSTER_ROLE_BINDINGS, { name: rbacName })).toBeUndefined();
    expect(s.cluster.objects(R.USERS)).toEqual([]);
    expect(s.cluster.find(R.TENANTS, { name: CHILD })).toBeDefined();

    await s.cluster.finishNamespaceDeletions();
    expect(s.cluster.find(R.NAMESPACES, { name: CHILD })).toBeUndefined();
    await s.clock.advance(3_000);
    expect(s.cluster.find(R.TENANTS, { name: CHILD })).toBeUndefined();
  });

  it('keeps the email claim while the User lives, and releases it after the grace period once it is gone', async () => {
    const s = stack({ claimGraceMs: 60_000 });
    const claimName = claimNameFor('ann@example.com');
    await s.clock.advance(100);
    s.cluster.seed(
      R.CONFIG_MAPS,
      claimConfigMap({ name: claimName, ownerUid: RR_UID, claimedAt: new Date(s.clock.now()).toISOString() }),
    );
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(120_000);
    expect(s.cluster.objects(R.REGISTRATION_REQUESTS)).toEqual([]);
    expect(s.cluster.find(R.CONFIG_MAPS, { namespace: 'cnpaas-system', name: claimName })).toBeDefined();

    await s.api.tenants.delete({ name: CHILD });
    await s.clock.advance(1_000);
    await s.cluster.finishNamespaceDeletions();
    await s.clock.advance(1_000);
    await s.cluster.finishNamespaceDeletions();
    await s.clock.advance(3_000);
    expect(s.cluster.objects(R.USERS)).toEqual([]);
    expect(s.cluster.find(R.CONFIG_MAPS, { namespace: 'cnpaas-system', name: claimName })).toBeUndefined();
    expect(await s.controllers.metrics.claimsReleased.get()).toMatchObject({ values: [{ value: 1 }] });
  });
});
