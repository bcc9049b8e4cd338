/**
 * Verification on a real kube-apiserver (@cnpaas/platform/testing), as
 * cnpaas-api-server: the User read by name through a per-User Role like the
 * operator's `<user>-api-server`, the one-time record as a status
 * merge-patch under a resourceVersion precondition, and the answers when
 * RBAC or the object says no, with the server's own RBAC (manifests/rbac.yaml)
 * applied. The race (another use between our read and our write) and the
 * token checks stay in sign-in.test.ts.
 *
 * One control plane for the file; every test has its own namespace.
 */
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ResourceClient } from '@cnpaas/kube';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { signToken } from '@cnpaas/service-kit';
import { userKubeConfig } from '@cnpaas/service-kit/testing';
import { manifestPath, SYSTEM_NAMESPACE, USER_RESOURCE, VERIFICATION_TOKEN_PURPOSE } from '@cnpaas/webshop-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILES as API_SERVER_MANIFESTS, manifestPath as apiServerManifest } from './manifests.js';
import { HttpKubeApi, type WebshopUser } from './kube-api.js';
import { VerificationFlow } from './verification-flow.js';
import { refusal } from './test-support/refusal.js';

const IDENTITY = 'cnpaas-api-server';
const KEY = randomBytes(32);
const NOW = Date.UTC(2026, 0, 1, 12);
const USERS = { ...USER_RESOURCE };

let cp: TestControlPlane;
let kube: HttpKubeApi;
let flow: VerificationFlow;
let users: ResourceClient<WebshopUser & KubernetesObject>;

beforeAll(async () => {
  cp = await startControlPlane({ crds: [manifestPath('crds/users.yaml')] });
  // The server's own RBAC (list Users across namespaces), as `cnpaas up` applies it.
  await cp.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
    apiServerManifest(API_SERVER_MANIFESTS.rbac),
  ]);
  kube = new HttpKubeApi(await userKubeConfig(cp, IDENTITY), { requestTimeoutMs: 5_000 });
  flow = new VerificationFlow({ kube, key: { get: async () => KEY }, now: () => NOW });
  users = new ResourceClient(cp.kubeConfig, USERS);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

/** A namespace, optionally its User, and optionally the Role that lets this server read and verify that User. */
async function tenant(name: string, options: { user: boolean; role: boolean }): Promise<WebshopUser | undefined> {
  const objects: Array<Record<string, unknown>> = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }];
  if (options.role) {
    // The part of the operator's `<user>-api-server` Role (apiServerRules) that verification uses.
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { namespace: name, name: `${name}-api-server` },
        rules: [
          { apiGroups: [USERS.group], resources: ['users'], resourceNames: [name], verbs: ['get'] },
          { apiGroups: [USERS.group], resources: ['users/status'], resourceNames: [name], verbs: ['patch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { namespace: name, name: `${name}-api-server` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-api-server` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: IDENTITY }],
      },
    );
  }
  await cp.apply(objects);
  if (!options.user) return undefined;
  return users.create({
    apiVersion: `${USERS.group}/${USERS.version}`,
    kind: USERS.kind,
    metadata: { namespace: name, name },
    spec: { firstName: 'Ada', lastName: 'Lovelace', email: `${name}@example.com` },
  } as WebshopUser & KubernetesObject);
}

function link(claims: Record<string, string>): string {
  return signToken({ key: KEY, purpose: VERIFICATION_TOKEN_PURPOSE, claims, expiresAt: NOW + 3_600_000 });
}

describe('verification on a real apiserver', () => {
  it('records verifiedAt once; the same link again is refused as already used (409)', async () => {
    const user = (await tenant('t-once', { user: true, role: true }))!;
    const token = link({ namespace: 't-once', name: 't-once', uid: user.metadata.uid });
    expect(await flow.verify(token)).toEqual({
      user: { namespace: 't-once', name: 't-once' },
      verifiedAt: '2026-01-01T12:00:00Z',
    });
    const stored = await users.get({ namespace: 't-once', name: 't-once' });
    expect(stored.status?.verifiedAt).toBe('2026-01-01T12:00:00Z');
    const again = await refusal(flow.verify(token));
    expect(again).toMatchObject({ code: 'CNPAAS_API_ALREADY_VERIFIED', status: 409 });
    expect(again.message).toMatch(/already used/);
  });

  it('writes only under the resourceVersion it read: a stale one is "conflict", a deleted User "gone"', async () => {
    const user = (await tenant('t-stale', { user: true, role: true }))!;
    const key = { namespace: 't-stale', name: 't-stale' };
    // Someone else writes the User after our read.
    await users.mergePatch(key, { metadata: { labels: { touched: 'yes' } } });
    expect(
      await kube.recordVerification(key, { resourceVersion: user.metadata.resourceVersion, verifiedAt: 'x' }),
    ).toBe('conflict');
    expect((await users.get(key)).status?.verifiedAt).toBeUndefined();
    const current = (await kube.getUser(key))!;
    const recorded = await kube.recordVerification(key, {
      resourceVersion: current.metadata.resourceVersion,
      verifiedAt: '2026-01-01T12:00:00Z',
    });
    expect(recorded).toMatchObject({ status: { verifiedAt: '2026-01-01T12:00:00Z' } });
    await users.delete(key);
    expect(await kube.getUser(key)).toBeUndefined();
    expect(
      await kube.recordVerification(key, { resourceVersion: current.metadata.resourceVersion, verifiedAt: 'x' }),
    ).toBe('gone');
  });

  it('a User the operator has not handled yet (no Role for this server: 403) is "retry in a moment" (503), not an error', async () => {
    const user = (await tenant('t-norole', { user: true, role: false }))!;
    const answer = await refusal(
      flow.verify(link({ namespace: 't-norole', name: 't-norole', uid: user.metadata.uid })),
    );
    expect(answer).toMatchObject({ code: 'CNPAAS_API_OWN_PERMISSION', status: 503 });
    expect(answer.message).toContain('<user>-api-server');
  });

  it('never verifies a namesake: a User with another UID, or none, is "gone" (404)', async () => {
    const first = (await tenant('t-namesake', { user: true, role: true }))!;
    const key = { namespace: 't-namesake', name: 't-namesake' };
    await users.delete(key);
    const second = await users.create({
      apiVersion: first.apiVersion,
      kind: first.kind,
      metadata: { namespace: key.namespace, name: key.name },
      spec: first.spec,
    } as WebshopUser & KubernetesObject);
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect((await refusal(flow.verify(link({ ...key, uid: first.metadata.uid })))).code).toBe('CNPAAS_API_USER_GONE');
    // No User at all (its Role still there, as before garbage collection removes it with the User).
    await tenant('t-nouser', { user: false, role: true });
    expect(
      (await refusal(flow.verify(link({ namespace: 't-nouser', name: 't-nouser', uid: first.metadata.uid })))).status,
    ).toBe(404);
    expect((await users.get(key)).status?.verifiedAt).toBeUndefined();
  });
  it('a link to a User that is gone along with its Role (garbage collection took both) is "gone" (404), not "retry"', async () => {
    const user = (await tenant('t-deleted', { user: true, role: true }))!;
    const key = { namespace: 't-deleted', name: 't-deleted' };
    await users.delete(key);
    // What garbage collection does once the User is gone: its Role and RoleBinding go with it.
    for (const plural of ['rolebindings', 'roles']) {
      await new ResourceClient(cp.kubeConfig, {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        plural,
        kind: plural === 'roles' ? 'Role' : 'RoleBinding',
        namespaced: true,
      }).delete({ namespace: key.namespace, name: `${key.name}-api-server` });
    }
    const answer = await refusal(flow.verify(link({ ...key, uid: user.metadata.uid })));
    expect(answer).toMatchObject({ code: 'CNPAAS_API_USER_GONE', status: 404 });
  });
});
