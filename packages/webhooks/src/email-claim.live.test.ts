/**
 * KubeClaimStore against a real kube-apiserver on cnpaas-store
 * (@cnpaas/platform/testing), as the webhooks' own identity with the RBAC of
 * manifests/rbac.yaml: a taken claim name is AlreadyExists, a missing one
 * NotFound, Users are listed with a consistent read and a field selector
 * (falling back when the CRD does not declare spec.email selectable), and a
 * refused LIST comes back as the apiserver's Forbidden. The requests
 * themselves are read from the apiserver's audit log.
 *
 * One control plane for the file; each test uses its own addresses and
 * namespaces so the tests do not see each other's objects.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { ResourceClient } from '@cnpaas/kube';
import { requestAudit, userKubeConfig, type RequestAudit } from '@cnpaas/service-kit/testing';
import { manifestPath, SYSTEM_NAMESPACE } from '@cnpaas/webshop-api';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIGMAPS,
  EmailClaims,
  KubeClaimStore,
  USERS,
  claimFromConfigMap,
  claimNameFor,
  emailSha256,
  type ConfigMap,
  type EmailClaim,
} from './email-claim.js';
import { WebhooksError } from './errors.js';
import { UserEmailIndex } from './user-email-index.js';
import { REGISTRATION_UID_LABEL } from './webshop.js';

const IDENTITY = 'cnpaas-webhooks';
/** Has the claim Role's subject name nowhere: no RBAC at all. */
const UNBOUND = 'cnpaas-webhooks-unbound';
const RBAC = new URL('../manifests/rbac.yaml', import.meta.url).pathname;
const USERS_CRD = manifestPath('crds/users.yaml');

let cp: TestControlPlane;
let audit: RequestAudit;
/** The webhooks' identity (client certificate CN cnpaas-webhooks) and an identity without RBAC. */
let webhooks: KubeConfig;
let unbound: KubeConfig;
let users: ResourceClient<KubernetesObject>;

beforeAll(async () => {
  audit = requestAudit({ users: [IDENTITY, UNBOUND] });
  cp = await startControlPlane({ crds: [USERS_CRD], apiserverArgs: audit.apiserverArgs });
  await cp.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
    ...['t-list-1', 't-list-2', 't-fallback', 't-index-1', 't-index-2', 't-index-3', 't-index-4'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    })),
    RBAC,
  ]);
  webhooks = await userKubeConfig(cp, IDENTITY);
  unbound = await userKubeConfig(cp, UNBOUND);
  users = new ResourceClient(cp.kubeConfig, USERS);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  audit?.close();
});

const claim = (email: string, uid: string): EmailClaim => ({
  name: claimNameFor(email),
  emailSha256: emailSha256(email),
  owner: { uid, uidKind: 'registration', claimedBy: 'RegistrationRequest/r-1' },
  claimedAt: '2026-01-01T00:00:00.000Z',
});

async function createUser(options: { namespace: string; email: string; labels?: Record<string, string> }) {
  await users.create({
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'User',
    metadata: {
      namespace: options.namespace,
      name: options.namespace,
      ...(options.labels ? { labels: options.labels } : {}),
    },
    spec: { firstName: 'Ada', lastName: 'Lovelace', email: options.email },
  } as KubernetesObject);
}

/** The LISTs of Users the given identity made since `since` requests were logged. */
async function userLists(since: number, user = IDENTITY): Promise<URL[]> {
  await audit.waitFor((r) => r.user.username === user && r.verb === 'list' && r.objectRef?.resource === 'users');
  return audit
    .requests()
    .slice(since)
    .filter((r) => r.user.username === user && r.verb === 'list' && r.objectRef?.resource === 'users')
    .map((r) => new URL(r.requestURI, 'https://apiserver'));
}

describe('KubeClaimStore on a real apiserver', () => {
  it('creates a claim once, reports AlreadyExists as "exists", reads it back', async () => {
    const store = new KubeClaimStore(webhooks);
    const c = claim('ada-create@example.com', 'uid-1');
    expect(await store.createClaim(c)).toBe('created');
    expect(await store.createClaim({ ...c, owner: { ...c.owner, uid: 'uid-2' } })).toBe('exists');
    expect(await store.readClaim(c.name)).toEqual(c);
    expect(await store.readClaim('email-claim-missing')).toBeUndefined();
    // Created as cnpaas-webhooks with its field manager, as an immutable ConfigMap.
    const stored = await new ResourceClient<ConfigMap>(cp.kubeConfig, CONFIGMAPS).get({
      namespace: SYSTEM_NAMESPACE,
      name: c.name,
    });
    expect(stored.immutable).toBe(true);
    expect(stored.metadata?.managedFields?.map((f) => f.manager)).toEqual(['cnpaas-webhooks']);
    expect(claimFromConfigMap(stored)).toEqual(c);
    const [post] = await audit.waitFor((r) => r.verb === 'create' && r.objectRef?.resource === 'configmaps');
    expect(post!.user.username).toBe(IDENTITY);
    expect(new URL(post!.requestURI, 'https://apiserver').searchParams.get('fieldManager')).toBe('cnpaas-webhooks');
  });

  it('lists users with a consistent read (no resourceVersion) and a field selector', async () => {
    await createUser({
      namespace: 't-list-1',
      email: 'ada-list@example.com',
      labels: { [REGISTRATION_UID_LABEL]: 'r-1' },
    });
    await createUser({ namespace: 't-list-2', email: 'bob-list@example.com' });
    const since = audit.requests().length;
    const store = new KubeClaimStore(webhooks);
    expect(await store.listUsersByEmail('ada-list@example.com')).toEqual([
      { namespace: 't-list-1', name: 't-list-1', registrationUid: 'r-1' },
    ]);
    const [list, ...more] = await userLists(since);
    expect(more).toEqual([]);
    expect(list!.searchParams.get('fieldSelector')).toBe('spec.email=ada-list@example.com');
    expect(list!.searchParams.has('resourceVersion')).toBe(false);
  });

  it('says what to do when the system namespace is missing', async () => {
    // As an identity that may create anywhere, so the apiserver's answer is NotFound (the namespace) rather than
    // Forbidden: the webhooks' own Role lives in the namespace, so for them a missing namespace is a 403.
    const store = new KubeClaimStore(cp.kubeConfig, { namespace: 'nowhere' });
    const error = await store.createClaim(claim('ada-nowhere@example.com', 'u')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).describe()).toBe(
      'CNPAAS_WEBHOOKS_CLAIM_STORE: namespace nowhere does not exist\n  fix: create it (cnpaas up does) before registering the webhooks',
    );
  });

  it('passes other API errors on, for EmailClaims to wrap with its hint', async () => {
    const error = await new EmailClaims({ store: new KubeClaimStore(unbound) })
      .claim({ email: 'ada-forbidden@example.com', owner: claim('a@b.cd', 'u').owner, dryRun: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).message).toBe(
      `list users by email failed: GET /apis/webshop.cnpaas.dev/v1/users: HTTP 403: users.webshop.cnpaas.dev is forbidden: User "${UNBOUND}" cannot list resource "users" in API group "webshop.cnpaas.dev" at the cluster scope`,
    );
    expect((error as WebhooksError).hint).toContain('RBAC');
  });

  it('serves EmailClaims end to end: one winner among concurrent claims', async () => {
    const claims = new EmailClaims({ store: new KubeClaimStore(webhooks) });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        claims.claim({ email: 'ada-race@example.com', owner: claim('x@y.zz', `uid-${i}`).owner, dryRun: false }),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'taken')).toHaveLength(19);
  });

  it('keeps Users by email from a watch, and claims read it instead of listing', async () => {
    await createUser({
      namespace: 't-index-1',
      email: 'Ada-Index@Example.com',
      labels: { [REGISTRATION_UID_LABEL]: 'r-index-1' },
    });
    const index = new UserEmailIndex({ kubeConfig: webhooks });
    try {
      // Before its first list the index has no answer, and the store makes the consistent LIST.
      expect(index.lookup('ada-index@example.com')).toBeUndefined();
      index.start();
      expect(await index.waitForSync()).toBe(true);
      expect(index.lookup('ada-index@example.com')).toEqual([
        { namespace: 't-index-1', name: 't-index-1', registrationUid: 'r-index-1' },
      ]);
      expect(index.lookup('nobody-index@example.com')).toEqual([]);

      // Users made and deleted after the list arrive through the watch.
      await createUser({ namespace: 't-index-2', email: 'bob-index@example.com' });
      await expect
        .poll(() => index.lookup('bob-index@example.com'), { timeout: 10_000 })
        .toEqual([{ namespace: 't-index-2', name: 't-index-2' }]);
      await users.delete({ namespace: 't-index-1', name: 't-index-1' });
      await expect.poll(() => index.lookup('ada-index@example.com'), { timeout: 10_000 }).toEqual([]);

      // A User that holds no claim (made before claims existed) still refuses its address, with no LIST.
      await createUser({ namespace: 't-index-3', email: 'carol-index@example.com' });
      await expect.poll(() => index.lookup('carol-index@example.com')?.length, { timeout: 10_000 }).toBe(1);
      const since = audit.requests().length;
      const claims = new EmailClaims({ store: new KubeClaimStore(webhooks, { userIndex: index }) });
      const owner = claim('x@y.zz', 'r-index-carol').owner;
      expect(await claims.claim({ email: 'carol-index@example.com', owner, dryRun: false })).toEqual({
        outcome: 'taken',
        claimName: claimNameFor('carol-index@example.com'),
        by: 'user',
        holder: 'User/t-index-3/t-index-3',
      });
      // Refused before the claim: nothing left behind.
      expect(await new KubeClaimStore(webhooks).readClaim(claimNameFor('carol-index@example.com'))).toBeUndefined();
      expect(await claims.claim({ email: 'dan-index@example.com', owner, dryRun: false })).toEqual({
        outcome: 'claimed',
        claimName: claimNameFor('dan-index@example.com'),
      });
      // The create of the second claim is logged after anything the first claim asked for.
      await audit.waitFor((r) => r.verb === 'create' && r.objectRef?.name === claimNameFor('dan-index@example.com'));
      const lists = audit
        .requests()
        .slice(since)
        .filter((r) => r.user.username === IDENTITY && r.verb === 'list' && r.objectRef?.resource === 'users');
      expect(lists).toEqual([]);
    } finally {
      await index.stop();
    }
  });

  it('keeps one winner among concurrent claims when Users are read from the index', async () => {
    const index = new UserEmailIndex({ kubeConfig: webhooks });
    index.start();
    try {
      expect(await index.waitForSync()).toBe(true);
      const claims = new EmailClaims({ store: new KubeClaimStore(webhooks, { userIndex: index }) });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          claims.claim({
            email: 'ada-index-race@example.com',
            owner: claim('x@y.zz', `uid-${i}`).owner,
            dryRun: false,
          }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'taken')).toHaveLength(19);
      // The winner's User, once made, does not let the address in again after its claim is released either.
      const winner = outcomes.findIndex((o) => o.outcome === 'claimed');
      await createUser({
        namespace: 't-index-4',
        email: 'ada-index-race@example.com',
        labels: { [REGISTRATION_UID_LABEL]: `uid-${winner}` },
      });
      await new ResourceClient<ConfigMap>(cp.kubeConfig, CONFIGMAPS).delete({
        namespace: SYSTEM_NAMESPACE,
        name: claimNameFor('ada-index-race@example.com'),
      });
      await expect.poll(() => index.lookup('ada-index-race@example.com')?.length, { timeout: 10_000 }).toBe(1);
      const late = await claims.claim({
        email: 'ada-index-race@example.com',
        owner: claim('x@y.zz', 'uid-late').owner,
        dryRun: false,
      });
      expect(late).toMatchObject({ outcome: 'taken', by: 'user', holder: 'User/t-index-4/t-index-4' });
    } finally {
      await index.stop();
    }
  });

  // Last: it changes the User CRD for the rest of the file.
  it('falls back to a full list when spec.email is not a selectable field, and remembers', async () => {
    const crd = parseAllDocuments(readFileSync(USERS_CRD, 'utf8'))[0]!.toJS() as {
      spec: { versions: Array<{ selectableFields?: unknown }> };
    };
    for (const version of crd.spec.versions) delete version.selectableFields;
    await cp.apply([crd]);
    // The apiserver serves the changed CRD shortly after it is stored: wait until it refuses the selector.
    await expect
      .poll(
        () =>
          new ResourceClient(cp.kubeConfig, USERS, { fieldSelector: 'spec.email=x@example.com' })
            .list()
            .then(() => 'accepted')
            .catch((err: unknown) => String(err)),
        { timeout: 20_000, interval: 200 },
      )
      .toContain('field label not supported');
    await createUser({ namespace: 't-fallback', email: 'Ada-Fallback@Example.com' });

    const since = audit.requests().length;
    const store = new KubeClaimStore(webhooks);
    expect(await store.listUsersByEmail('ada-fallback@example.com')).toEqual([
      { namespace: 't-fallback', name: 't-fallback' },
    ]);
    expect(await store.listUsersByEmail('ada-fallback@example.com')).toHaveLength(1);
    await expect.poll(async () => (await userLists(since)).length).toBe(3);
    const selectors = (await userLists(since)).map((u) => u.searchParams.get('fieldSelector'));
    expect(selectors).toEqual(['spec.email=ada-fallback@example.com', null, null]);
  });
});
