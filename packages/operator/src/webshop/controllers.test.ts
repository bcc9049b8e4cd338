/**
 * Each reconciler called directly, key by key, on the in-memory apiserver
 * (test-support.ts). A live kube-apiserver is not available to these unit
 * tests yet; registration-flow.test.ts runs them together through a Manager.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { EventRecorder, FakeClock, keyOf, type ReconcileContext, type Reconciler } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { claimReleaseReconciler, readClaim } from './claim-release-controller.js';
import {
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  TENANT_FINALIZER,
  USER_FINALIZER,
  claimNameFor,
  userClusterRbacName,
} from './names.js';
import { registrationReconciler } from './registration-controller.js';
import * as R from './resources.js';
import { tenantReconciler } from './tenant-controller.js';
import {
  CHILD,
  FakeCluster,
  HASH,
  SCRYPT_HASH,
  RR_UID,
  claimConfigMap,
  registrationRequest,
  registrationTemplate,
  seedSystem,
} from './test-support.js';
import { OPERATOR_TENANT_ROLE } from './operator-access.js';
import type { ConfigMap, RegistrationRequest, RoleBinding, Secret, Tenant, User } from './types.js';
import { PASSWORD_SECRET_TYPE, userReconciler } from './user-controller.js';

function setup() {
  const clock = new FakeClock();
  const cluster = new FakeCluster(clock);
  seedSystem(cluster);
  return { clock, cluster, api: cluster.webshopApi() };
}

/** Runs one reconcile of the object stored under `target`, as the controller would with a fresh cache. */
async function reconcileOnce<T extends KubernetesObject>(
  cluster: FakeCluster,
  reconciler: Reconciler<T>,
  resource: Parameters<FakeCluster['find']>[0],
  target: { namespace?: string; name: string },
) {
  const object = cluster.find<T>(resource, target);
  const ctx: ReconcileContext<T> = {
    key: object ? keyOf(object) : target.name,
    object,
    signal: new AbortController().signal,
    log: silentLog,
    retries: 0,
  };
  return reconciler.reconcile(ctx.key, ctx);
}

const tenantSpec = { country: 'DE', city: 'Berlin', address: 'x', postalCode: '1' };

describe('RegistrationRequest reconciler', () => {
  it('creates the Tenant, then waits for the Namespace with a requeue-after, writing status once', async () => {
    const { clock, cluster, api } = setup();
    const reconciler = registrationReconciler({
      api,
      clock,
      template: { namespace: 'cnpaas-system', name: 'registration' },
    });
    await api.registrationRequests.create(registrationRequest());
    const first = await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'ann-lee' });
    expect(first).toEqual({ requeueAfterMs: 2_000 });
    expect(cluster.find(R.TENANTS, { name: CHILD })).toBeDefined();
    const rr = cluster.find<RegistrationRequest>(R.REGISTRATION_REQUESTS, { name: 'ann-lee' })!;
    expect(rr.status?.conditions?.find((c) => c.type === 'NamespaceReady')).toMatchObject({
      status: 'False',
      reason: 'WaitingForNamespace',
    });
    expect(rr.status?.conditions?.find((c) => c.type === 'TenantCreated')?.status).toBe('True');
    expect(rr.status?.observedGeneration).toBe(1);

    // Waiting again changes nothing: no status write (a write would wake the controller: a hot loop).
    const writes = cluster.writes.length;
    expect(await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'ann-lee' })).toEqual({
      requeueAfterMs: 2_000,
    });
    expect(cluster.writes.length).toBe(writes);
  });

  it('stops at a Namespace of another registration: NameConflict, no User', async () => {
    const { clock, cluster, api } = setup();
    const reconciler = registrationReconciler({
      api,
      clock,
      template: { namespace: 'cnpaas-system', name: 'registration' },
    });
    cluster.seed(R.NAMESPACES, { metadata: { name: CHILD, labels: { [REGISTRATION_UID_LABEL]: 'other' } } });
    await api.registrationRequests.create(registrationRequest());
    expect(await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'ann-lee' })).toEqual({
      requeueAfterMs: 60_000,
    });
    const rr = cluster.find<RegistrationRequest>(R.REGISTRATION_REQUESTS, { name: 'ann-lee' })!;
    expect(rr.status?.conditions?.find((c) => c.type === 'NameConflict')?.message).toContain(`Namespace ${CHILD}`);
    expect(cluster.objects(R.USERS)).toEqual([]);
  });

  it('reports a broken template (unknown placeholder) as TemplateInvalid and creates no Email', async () => {
    const { clock, cluster, api } = setup();
    await api.emailTemplates.delete({ namespace: 'cnpaas-system', name: 'registration' });
    await api.emailTemplates.create(registrationTemplate('Hi {{ .spec.fristName }}') as never);
    cluster.seed(R.NAMESPACES, { metadata: { name: CHILD, labels: { [REGISTRATION_UID_LABEL]: RR_UID } } });
    const reconciler = registrationReconciler({
      api,
      clock,
      template: { namespace: 'cnpaas-system', name: 'registration' },
    });
    await api.registrationRequests.create(registrationRequest());
    expect(await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'ann-lee' })).toEqual({
      requeueAfterMs: 30_000,
    });
    const ready = cluster
      .find<RegistrationRequest>(R.REGISTRATION_REQUESTS, { name: 'ann-lee' })!
      .status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'TemplateInvalid' });
    expect(ready?.message).toContain('{{ .spec.fristName }} unknown placeholder');
    expect(cluster.objects(R.EMAILS)).toEqual([]);
  });

  it('copies the hash to the User annotation only; the Email body never sees annotations', async () => {
    const { clock, cluster, api } = setup();
    await api.emailTemplates.delete({ namespace: 'cnpaas-system', name: 'registration' });
    await api.emailTemplates.create(registrationTemplate('{{ .metadata.annotations }}') as never);
    cluster.seed(R.NAMESPACES, { metadata: { name: CHILD, labels: { [REGISTRATION_UID_LABEL]: RR_UID } } });
    const reconciler = registrationReconciler({
      api,
      clock,
      template: { namespace: 'cnpaas-system', name: 'registration' },
    });
    await api.registrationRequests.create(registrationRequest());
    await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'ann-lee' });
    expect(
      cluster.find<User>(R.USERS, { namespace: CHILD, name: CHILD })?.metadata?.annotations?.[PASSWORD_ANNOTATION],
    ).toBe(HASH);
    expect(cluster.objects(R.EMAILS)).toEqual([]);
  });

  it('does nothing for an RR that is being deleted or is gone', async () => {
    const { clock, cluster, api } = setup();
    const reconciler = registrationReconciler({
      api,
      clock,
      template: { namespace: 'cnpaas-system', name: 'registration' },
    });
    expect(await reconcileOnce(cluster, reconciler, R.REGISTRATION_REQUESTS, { name: 'gone' })).toBeUndefined();
    expect(cluster.writes).toEqual([]);
  });
});

describe('Tenant reconciler', () => {
  it('adds its finalizer before creating the owned Namespace, and records it in status', async () => {
    const { clock, cluster, api } = setup();
    const tenant = cluster.seed(R.TENANTS, {
      metadata: { name: 't-a', labels: { [REGISTRATION_UID_LABEL]: RR_UID } },
      spec: tenantSpec,
    } as Tenant);
    await reconcileOnce(cluster, tenantReconciler({ api, clock }), R.TENANTS, { name: 't-a' });
    expect(cluster.writes.slice(0, 2)).toEqual(['update tenants t-a', 'create namespaces t-a']);
    const stored = cluster.find<Tenant>(R.TENANTS, { name: 't-a' })!;
    expect(stored.metadata?.finalizers).toEqual([TENANT_FINALIZER]);
    expect(stored.status?.namespace).toBe('t-a');
    const ns = cluster.find(R.NAMESPACES, { name: 't-a' })!;
    expect(ns.metadata?.ownerReferences?.[0]).toMatchObject({
      uid: tenant.metadata?.uid,
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(ns.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe(RR_UID);
  });

  it('binds the user name the operator runs as, e.g. its ServiceAccount in a pod', async () => {
    const { clock, cluster, api } = setup();
    cluster.seed<Tenant>(R.TENANTS, {
      metadata: { name: 't-a', labels: { [REGISTRATION_UID_LABEL]: RR_UID } },
      spec: tenantSpec,
    });
    const operatorUser = 'system:serviceaccount:cnpaas-system:cnpaas-operator';
    await reconcileOnce(cluster, tenantReconciler({ api, clock, operatorUser }), R.TENANTS, { name: 't-a' });
    const binding = cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: 't-a', name: 'cnpaas-operator' })!;
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: operatorUser }]);
  });

  it("binds the operator's per-namespace ClusterRole in the new Namespace, labelled like it, before the Tenant is Ready", async () => {
    const { clock, cluster, api } = setup();
    const tenant = cluster.seed<Tenant>(R.TENANTS, {
      metadata: { name: 't-a', labels: { [REGISTRATION_UID_LABEL]: RR_UID } },
      spec: tenantSpec,
    });
    await reconcileOnce(cluster, tenantReconciler({ api, clock }), R.TENANTS, { name: 't-a' });
    expect(cluster.writes.slice(0, 3)).toEqual([
      'update tenants t-a',
      'create namespaces t-a',
      'create rolebindings t-a/cnpaas-operator',
    ]);
    const binding = cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: 't-a', name: 'cnpaas-operator' })!;
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: OPERATOR_TENANT_ROLE,
    });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-operator' },
    ]);
    // The confinement policy admits only objects with the managed-by label, in a namespace with the tenant label.
    expect(binding.metadata?.labels).toEqual(cluster.find(R.NAMESPACES, { name: 't-a' })?.metadata?.labels);
    expect(binding.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'cnpaas-operator',
      'webshop.cnpaas.dev/tenant': 't-a',
    });
    expect(binding.metadata?.ownerReferences?.[0]).toMatchObject({ uid: tenant.metadata?.uid, controller: true });
    expect(
      cluster.find<Tenant>(R.TENANTS, { name: 't-a' })?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    ).toBe('True');
  });

  it('reports a RoleBinding cnpaas-operator it did not make as a NameConflict and leaves it alone', async () => {
    const { clock, cluster, api } = setup();
    cluster.seed<Tenant>(R.TENANTS, { metadata: { name: 't-a' }, spec: tenantSpec });
    const foreign = {
      metadata: { name: 'cnpaas-operator', namespace: 't-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [],
    };
    cluster.seed(R.ROLE_BINDINGS, foreign as RoleBinding);
    await reconcileOnce(cluster, tenantReconciler({ api, clock }), R.TENANTS, { name: 't-a' });
    const conditions = cluster.find<Tenant>(R.TENANTS, { name: 't-a' })?.status?.conditions;
    expect(conditions?.find((c) => c.type === 'NameConflict')).toMatchObject({
      status: 'True',
      message: expect.stringContaining('RoleBinding t-a/cnpaas-operator'),
    });
    expect(conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(
      cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: 't-a', name: 'cnpaas-operator' })?.roleRef?.name,
    ).toBe('view');
  });

  it('on deletion never deletes a Namespace it does not control, and then lets the Tenant go', async () => {
    const { clock, cluster, api } = setup();
    cluster.seed(R.NAMESPACES, { metadata: { name: 't-a' } });
    cluster.seed(R.TENANTS, { metadata: { name: 't-a', finalizers: [TENANT_FINALIZER] }, spec: tenantSpec } as Tenant);
    const reconciler = tenantReconciler({ api, clock });
    await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' });
    expect(
      cluster.find<Tenant>(R.TENANTS, { name: 't-a' })?.status?.conditions?.find((c) => c.type === 'NameConflict')
        ?.status,
    ).toBe('True');
    await api.tenants.delete({ name: 't-a' });
    await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' });
    expect(cluster.find(R.NAMESPACES, { name: 't-a' })?.metadata?.deletionTimestamp).toBeUndefined();
    expect(cluster.find(R.TENANTS, { name: 't-a' })).toBeUndefined();
  });

  it('on deletion keeps the finalizer until its Namespace is really gone', async () => {
    const { clock, cluster, api } = setup();
    cluster.seed(R.TENANTS, { metadata: { name: 't-a' }, spec: tenantSpec } as Tenant);
    const reconciler = tenantReconciler({ api, clock });
    await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' });
    await api.tenants.delete({ name: 't-a' });
    expect(await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' })).toEqual({ requeueAfterMs: 2_000 });
    expect(await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' })).toEqual({ requeueAfterMs: 2_000 });
    expect(cluster.find<Tenant>(R.TENANTS, { name: 't-a' })?.metadata?.finalizers).toEqual([TENANT_FINALIZER]);
    await cluster.finishNamespaceDeletions();
    await reconcileOnce(cluster, reconciler, R.TENANTS, { name: 't-a' });
    expect(cluster.find(R.TENANTS, { name: 't-a' })).toBeUndefined();
  });
});

describe('User reconciler', () => {
  function userWorld() {
    const w = setup();
    const tenant = w.cluster.seed(R.TENANTS, { metadata: { name: 't-a' }, spec: tenantSpec } as Tenant);
    w.cluster.seed(R.NAMESPACES, {
      metadata: {
        name: 't-a',
        ownerReferences: [
          {
            apiVersion: 'webshop.cnpaas.dev/v1',
            kind: 'Tenant',
            name: 't-a',
            uid: tenant.metadata!.uid!,
            controller: true,
          },
        ],
      },
    });
    return { ...w, reconciler: userReconciler({ api: w.api, clock: w.clock }) };
  }
  const user = (annotations?: Record<string, string>): User => ({
    metadata: { name: 'u', namespace: 't-a', annotations },
    spec: { firstName: 'A', lastName: 'B', email: 'a@b.cd' },
  });

  it('stores a newer hash (a password change) in the existing Secret and removes the annotation', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: HASH }));
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    // A stronger cost than the floor is a valid newer hash too.
    const newer = '$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdG5ld3NhbHRuZXc$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
    await api.users.mergePatch(
      { namespace: 't-a', name: 'u' },
      { metadata: { annotations: { [PASSWORD_ANNOTATION]: newer } } },
    );
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    const secret = cluster.find<Secret>(R.SECRETS, { namespace: 't-a', name: 'u-password' })!;
    expect(secret.type).toBe(PASSWORD_SECRET_TYPE);
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(newer);
    const stored = cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })!;
    expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.passwordRef).toEqual({ name: 'u-password' });
    expect(stored.status?.conditions?.find((c) => c.type === 'TenantAccess')?.status).toBe('True');
  });

  it('derives phase and the Verified condition from status.verifiedAt, keeping verifiedAt, idempotently', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: HASH }));
    const key = { namespace: 't-a', name: 'u' };
    await reconcileOnce(cluster, reconciler, R.USERS, key);
    let stored = cluster.find<User>(R.USERS, key)!;
    expect(stored.status?.phase).toBe('Pending');
    expect(stored.status?.conditions?.find((c) => c.type === 'Verified')).toMatchObject({ status: 'False' });

    // What cnpaas-api-server records when a link is accepted: verifiedAt, nothing else.
    await api.users.mergePatch(key, { status: { verifiedAt: '2026-01-01T10:00:00Z' } }, { subresource: 'status' });
    await reconcileOnce(cluster, reconciler, R.USERS, key);
    stored = cluster.find<User>(R.USERS, key)!;
    expect(stored.status?.phase).toBe('Verified');
    expect(stored.status?.verifiedAt).toBe('2026-01-01T10:00:00Z');
    const verified = stored.status?.conditions?.find((c) => c.type === 'Verified');
    expect(verified).toMatchObject({ status: 'True', reason: 'LinkAccepted' });
    expect(verified?.message).toContain('2026-01-01T10:00:00Z');

    // Level-triggered: another pass writes nothing.
    const writes = cluster.writes.length;
    await reconcileOnce(cluster, reconciler, R.USERS, key);
    expect(cluster.writes.slice(writes).filter((w) => w.startsWith('status '))).toEqual([]);
  });

  it('stores a scrypt hash made before argon2id (at its floor) like any acceptable hash', async () => {
    const { cluster, reconciler } = userWorld();
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: SCRYPT_HASH }));
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    const secret = cluster.find<Secret>(R.SECRETS, { namespace: 't-a', name: 'u-password' })!;
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(SCRYPT_HASH);
    const stored = cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })!;
    expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.passwordRef).toEqual({ name: 'u-password' });
  });

  it('never stores an annotation that is not a hash, and removes it', async () => {
    const { cluster, reconciler } = userWorld();
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: 'Secret123!' }));
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    expect(cluster.objects(R.SECRETS)).toEqual([]);
    const stored = cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })!;
    expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.conditions?.find((c) => c.type === 'PasswordStored')).toMatchObject({
      status: 'False',
      reason: 'NotAHash',
    });
  });

  // Each shaped like a hash closely enough to pass a prefix check, which is all the controller used to ask for.
  const weakHash = '$scrypt$ln=1,r=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
  it.each([
    ['a below-floor scrypt hash', weakHash, 'UnacceptableHash'],
    ['a garbage value with the scrypt prefix', '$scrypt$Secret123!', 'UnacceptableHash'],
    [
      'an argon2id string with a 4-byte salt and a 3-byte key',
      '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$a2V5',
      'UnacceptableHash',
    ],
    [
      'a below-floor argon2id hash',
      '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
      'UnacceptableHash',
    ],
    [
      'an argon2i string',
      '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
      'UnacceptableHash',
    ],
    ['a bcrypt string', '$2b$04$abcdefghijklmnopqrstuuVWXYZ0123456789abcdefghijklmno', 'UnacceptableHash'],
    ['plain text', 'Secret123!', 'NotAHash'],
  ])(
    'never writes %s into the Secret: removes it, PasswordStored=False and a Warning event',
    async (_label, value, reason) => {
      const { cluster, api, clock } = userWorld();
      const events: unknown[] = [];
      const recorder = new EventRecorder({
        sink: { create: async (e) => void events.push(e) },
        reportingController: 'test',
        reportingInstance: 'test',
        clock,
        log: silentLog,
        dedupeWindowMs: 0,
      });
      const reconciler = userReconciler({ api, clock, events: recorder });
      cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: value }));
      await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
      await new Promise((r) => setImmediate(r));
      expect(cluster.objects(R.SECRETS)).toEqual([]);
      const stored = cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })!;
      expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
      expect(stored.status?.passwordRef).toBeUndefined();
      const condition = stored.status?.conditions?.find((c) => c.type === 'PasswordStored');
      expect(condition).toMatchObject({ status: 'False', reason });
      expect(condition?.message).toContain('$argon2id$ PHC string with cost at least m=19456,t=2,p=1');
      expect(condition?.message).toContain('ln=15,r=8,p=3');
      expect(condition?.message).not.toContain(value);
      expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason, action: 'StorePassword' })]);
    },
  );

  it('keeps an already stored Secret when a later annotation is unacceptable', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: HASH }));
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    await api.users.mergePatch(
      { namespace: 't-a', name: 'u' },
      { metadata: { annotations: { [PASSWORD_ANNOTATION]: weakHash } } },
    );
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    const secret = cluster.find<Secret>(R.SECRETS, { namespace: 't-a', name: 'u-password' })!;
    expect(Buffer.from(secret.data?.['hash'] ?? '', 'base64').toString()).toBe(HASH);
    expect(
      cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })?.metadata?.annotations?.[PASSWORD_ANNOTATION],
    ).toBeUndefined();
  });

  it('does not write the hash into a Secret it does not control (NameConflict)', async () => {
    const { cluster, reconciler } = userWorld();
    cluster.seed(R.SECRETS, {
      metadata: { name: 'u-password', namespace: 't-a' },
      data: { hash: 'b3RoZXI=' },
    } as Secret);
    cluster.seed(R.USERS, user({ [PASSWORD_ANNOTATION]: HASH }));
    expect(await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' })).toEqual({
      requeueAfterMs: 60_000,
    });
    expect(cluster.find<Secret>(R.SECRETS, { namespace: 't-a', name: 'u-password' })?.data).toEqual({
      hash: 'b3RoZXI=',
    });
    const stored = cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })!;
    expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBe(HASH);
    expect(stored.status?.conditions?.find((c) => c.type === 'NameConflict')?.message).toContain(
      'Secret t-a/u-password',
    );
  });

  it("binds cnpaas-api-server's ServiceAccount, or only its client-certificate user when the operator is told it runs as one", async () => {
    const bindingOf = async (options: { apiServerUser?: string }) => {
      const w = userWorld();
      w.cluster.seed(R.USERS, user());
      const reconciler = userReconciler({ api: w.api, clock: w.clock, ...options });
      await reconcileOnce(w.cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
      return w.cluster.find<RoleBinding>(R.ROLE_BINDINGS, { namespace: 't-a', name: 'u-api-server' })!.subjects;
    };
    expect(await bindingOf({})).toEqual([
      { kind: 'ServiceAccount', namespace: 'cnpaas-system', name: 'cnpaas-api-server' },
    ]);
    expect(await bindingOf({ apiServerUser: 'cnpaas-api-server' })).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-api-server' },
    ]);
  });

  it('leaves Roles and bindings alone when the apiserver only wrote their fields in another order', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user());
    const key = { namespace: 't-a', name: 'u' };
    await reconcileOnce(cluster, reconciler, R.USERS, key);
    // The order kube-apiserver serialises them in (Go struct order): verbs first, kind before apiGroup.
    await api.roles.mergePatch(
      { namespace: 't-a', name: 'u-api-server' },
      {
        rules: [
          { verbs: ['get'], apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], resourceNames: ['u'] },
          { verbs: ['patch'], apiGroups: ['webshop.cnpaas.dev'], resources: ['users/status'], resourceNames: ['u'] },
          { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['u-password'] },
          { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['u'] },
        ],
      },
    );
    await api.roleBindings.mergePatch(
      { namespace: 't-a', name: 'u-api-server' },
      {
        subjects: [{ namespace: 'cnpaas-system', name: 'cnpaas-api-server', kind: 'ServiceAccount' }],
      },
    );
    const writes = cluster.writes.length;
    await reconcileOnce(cluster, reconciler, R.USERS, key);
    expect(cluster.writes.slice(writes).filter((w) => /^update (roles|rolebindings) /.test(w))).toEqual([]);
  });

  it('restores drifted Role rules', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user());
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    await api.roles.mergePatch(
      { namespace: 't-a', name: 'u' },
      { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    );
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    expect(
      cluster.find<KubernetesObject & { rules?: unknown }>(R.ROLES, { namespace: 't-a', name: 'u' })?.rules,
    ).toEqual([
      {
        apiGroups: ['webshop.cnpaas.dev'],
        resources: ['users'],
        resourceNames: ['u'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
  });

  it('on deletion removes only the cluster RBAC made for this very User, then its finalizer', async () => {
    const { cluster, api, reconciler } = userWorld();
    cluster.seed(R.USERS, user());
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    const rbacName = userClusterRbacName('t-a', 'u');
    expect(cluster.find(R.CLUSTER_ROLES, { name: rbacName })).toBeDefined();
    expect(cluster.find<User>(R.USERS, { namespace: 't-a', name: 'u' })?.metadata?.finalizers).toEqual([
      USER_FINALIZER,
    ]);
    await api.users.delete({ namespace: 't-a', name: 'u' });
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 't-a', name: 'u' });
    expect(cluster.find(R.CLUSTER_ROLES, { name: rbacName })).toBeUndefined();
    expect(cluster.find(R.CLUSTER_ROLE_BINDINGS, { name: rbacName })).toBeUndefined();
    expect(cluster.find(R.USERS, { namespace: 't-a', name: 'u' })).toBeUndefined();
  });

  it('grants no Tenant access in a namespace no Tenant controls', async () => {
    const { cluster, reconciler } = userWorld();
    cluster.seed(R.NAMESPACES, { metadata: { name: 'plain' } });
    cluster.seed(R.USERS, { ...user(), metadata: { name: 'u', namespace: 'plain' } });
    await reconcileOnce(cluster, reconciler, R.USERS, { namespace: 'plain', name: 'u' });
    expect(cluster.objects(R.CLUSTER_ROLES)).toEqual([]);
    expect(
      cluster
        .find<User>(R.USERS, { namespace: 'plain', name: 'u' })
        ?.status?.conditions?.find((c) => c.type === 'TenantAccess')?.reason,
    ).toBe('NoTenant');
  });
});

describe('claim release reconciler', () => {
  function claimWorld(options: { users?: User[]; registrations?: RegistrationRequest[] } = {}) {
    const w = setup();
    const reconciler = claimReleaseReconciler({
      api: w.api,
      clock: w.clock,
      graceMs: 60_000,
      cachedRegistrations: () => options.registrations ?? [],
      cachedUsers: () => options.users ?? [],
    });
    return { ...w, reconciler };
  }
  const name = claimNameFor('ann@example.com');
  const target = { namespace: 'cnpaas-system', name };

  it('waits out the grace period before releasing an orphaned claim', async () => {
    const { clock, cluster, reconciler } = claimWorld();
    cluster.seed(
      R.CONFIG_MAPS,
      claimConfigMap({ name, ownerUid: RR_UID, claimedAt: new Date(clock.now() - 20_000).toISOString() }),
    );
    expect(await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, target)).toEqual({ requeueAfterMs: 40_000 });
    expect(cluster.find(R.CONFIG_MAPS, target)).toBeDefined();
    await clock.advance(40_000);
    await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, target);
    expect(cluster.find(R.CONFIG_MAPS, target)).toBeUndefined();
  });

  it('keeps a claim whose User exists even when the caches have not seen it (consistent LIST by label)', async () => {
    const { clock, cluster, reconciler } = claimWorld();
    cluster.seed(R.NAMESPACES, { metadata: { name: CHILD } });
    cluster.seed(R.USERS, {
      metadata: { name: CHILD, namespace: CHILD, labels: { [REGISTRATION_UID_LABEL]: RR_UID } },
      spec: { firstName: 'A', lastName: 'B', email: 'ann@example.com' },
    } as User);
    cluster.seed(
      R.CONFIG_MAPS,
      claimConfigMap({ name, ownerUid: RR_UID, claimedAt: new Date(clock.now() - 3_600_000).toISOString() }),
    );
    expect(await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, target)).toBeUndefined();
    expect(cluster.find(R.CONFIG_MAPS, target)).toBeDefined();
  });

  it('keeps a claim whose RegistrationRequest is still in flight (GET by the name the claim records)', async () => {
    const { clock, cluster, api, reconciler } = claimWorld();
    await api.registrationRequests.create(registrationRequest());
    cluster.seed(
      R.CONFIG_MAPS,
      claimConfigMap({ name, ownerUid: RR_UID, claimedAt: new Date(clock.now() - 3_600_000).toISOString() }),
    );
    await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, target);
    expect(cluster.find(R.CONFIG_MAPS, target)).toBeDefined();
  });

  it('keeps a claim when a cached User holds the address under another registration', async () => {
    const cachedUser: User = {
      metadata: { name: 'x', namespace: 'y', uid: 'u-1' },
      spec: { firstName: 'A', lastName: 'B', email: 'ANN@example.com' },
    };
    const { clock, cluster, reconciler } = claimWorld({ users: [cachedUser] });
    cluster.seed(
      R.CONFIG_MAPS,
      claimConfigMap({ name, ownerUid: 'other-uid', claimedAt: new Date(clock.now() - 3_600_000).toISOString() }),
    );
    await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, target);
    expect(cluster.find(R.CONFIG_MAPS, target)).toBeDefined();
  });

  it('leaves ConfigMaps that are not claims alone, and reads the claims the webhooks write', async () => {
    const { cluster, reconciler } = claimWorld();
    cluster.seed(R.CONFIG_MAPS, {
      metadata: { name: 'email-claim-zz', namespace: 'cnpaas-system' },
      data: {},
    } as ConfigMap);
    await reconcileOnce(cluster, reconciler, R.CONFIG_MAPS, { namespace: 'cnpaas-system', name: 'email-claim-zz' });
    expect(cluster.find(R.CONFIG_MAPS, { namespace: 'cnpaas-system', name: 'email-claim-zz' })).toBeDefined();
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
    ).toMatchObject({
      ownerUidKind: 'user',
      claimedBy: 'User/a/b',
      claimedAtMs: Date.UTC(2025, 0, 1),
    });
  });
});
