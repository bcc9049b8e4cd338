/**
 * The operator's identity, confined (packages/operator/manifests/rbac.yaml
 * and confinement-policy.yaml), on one real stack: requests made with the
 * operator's own client certificate from the stack's PKI, exactly as the
 * operator makes them.
 *
 * - It may not touch what it did not make: delete kube-system or
 *   cnpaas-system or a namespace someone else made, read a Secret in
 *   cnpaas-system, delete ClusterRoles `cluster-admin`, `admin` and `view`
 *   or empty `cluster-admin`, bind its per-namespace ClusterRole outside a
 *   tenant namespace, create an unlabelled Secret in a tenant namespace or
 *   take over someone else's there by adding its label.
 * - It still does everything it is there for: a registration through the
 *   aggregated API completes (Tenant, Namespace, User with its Secret and
 *   RBAC), it may write a labelled Secret in the tenant namespace, and
 *   deleting the Tenant removes the namespace and the User's cluster RBAC.
 *
 * Requests that would wreck the stack if allowed use `dryRun=All`: they pass
 * through the same authorization and admission (the policy included), and
 * store nothing either way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient, KubeResponse } from '@cnpaas/kube';
import { kubeClientFromPki } from '../src/pki-client.js';
import { startStack, type TestStack } from './support/stack.js';
import {
  GROUP,
  REGISTRATIONS_PATH,
  SYSTEM_NAMESPACE,
  condition,
  registration,
} from './support/webshop-registrations.js';
import { waitFor } from '@cnpaas/service-kit/testing';

const OPERATOR = 'cnpaas-operator';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': OPERATOR };
const DRY_RUN = '?dryRun=All';

function secret(namespace: string, name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels },
    data: { probe: Buffer.from('probe').toString('base64') },
  };
}

/** 403, refused by the confinement policy (not by some other check that happens to say no). */
function expectPolicyDenied(res: KubeResponse): void {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body.message).toContain("ValidatingAdmissionPolicy 'cnpaas-operator-confinement'");
  // One of the policy's own messages: a rule that failed to evaluate (also a denial) would hide a broken policy.
  expect(res.body.message).toContain('denied request: cnpaas-operator may only');
}

/** 403 from RBAC: the operator holds no rule for it at all. */
function expectRbacDenied(res: KubeResponse): void {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body.message).toContain(`User "${OPERATOR}" cannot`);
}

describe('the operator identity is confined to what it made (live)', () => {
  let stack: TestStack;
  let admin: KubeClient;
  let operator: KubeClient;
  let tenant: string;

  beforeAll(async () => {
    stack = await startStack({ components: 'all' });
    const pki = path.join(stack.stateDir, 'pki');
    admin = kubeClientFromPki({ server: stack.result.server, pkiDir: pki });
    operator = kubeClientFromPki({ server: stack.result.server, pkiDir: pki, identity: OPERATOR });
    expect((await operator.request('GET', '/apis/authentication.k8s.io/v1')).status).toBe(200);
  });
  afterAll(async () => {
    admin?.close();
    operator?.close();
    await stack?.stop();
  });

  it("a registration still completes: Tenant, namespace, the operator's binding there, User with Secret and RBAC", async () => {
    const body = registration('confined', { email: 'grace@example.com', password: 'Cobol-Compiler-1959!' });
    const res = await admin.request('POST', REGISTRATIONS_PATH, { timeoutMs: 60_000, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    tenant = res.body.status.tenant;
    expect(tenant).toMatch(/^t-[0-9a-f]{12}$/);

    let last: any;
    const user = await waitFor(
      'the User to be Ready',
      async () => {
        last = await stack.kubectlJson(['get', `users.${GROUP}`, tenant, '-n', tenant]);
        return condition(last, 'Ready')?.status === 'True' && last.status?.passwordRef ? last : undefined;
      },
      90_000,
    ).catch((err: Error) => {
      const log = readFileSync(path.join(stack.stateDir, 'logs', 'operator.log'), 'utf8')
        .split('\n')
        .filter((l) => /"level":[45]/.test(l))
        .slice(-5)
        .join('\n');
      throw new Error(`${err.message}; the User's status: ${JSON.stringify(last?.status)}\n${log}`);
    });
    expect(user.status.passwordRef).toEqual({ name: `${tenant}-password` });
    const stored = await stack.kubectlJson(['get', 'secret', `${tenant}-password`, '-n', tenant]);
    expect(stored.metadata.labels).toMatchObject(MANAGED_BY);
    const binding = await stack.kubectlJson(['get', 'rolebinding', OPERATOR, '-n', tenant]);
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'cnpaas-operator-tenant' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: OPERATOR }]);
    for (const kind of ['clusterrole', 'clusterrolebinding']) {
      const obj = await stack.kubectlJson(['get', kind, `webshop-user.${tenant}.${tenant}`]);
      expect(obj.metadata.labels).toMatchObject(MANAGED_BY);
    }
  }, 180_000);

  it('may not delete kube-system, cnpaas-system or a namespace it did not make', async () => {
    await stack.kubectl(['create', 'namespace', 'not-a-tenant']);
    // kube-system is also immortal (NamespaceLifecycle): the other two show the confinement itself.
    const kubeSystem = await operator.request('DELETE', `/api/v1/namespaces/kube-system${DRY_RUN}`);
    expect(kubeSystem.status).toBe(403);
    expectPolicyDenied(await operator.request('DELETE', `/api/v1/namespaces/${SYSTEM_NAMESPACE}${DRY_RUN}`));
    expectPolicyDenied(await operator.request('DELETE', '/api/v1/namespaces/not-a-tenant'));
    // Nor make one that only looks like a tenant namespace.
    expectPolicyDenied(
      await operator.request('POST', '/api/v1/namespaces', {
        body: { metadata: { name: 'kube-evil', labels: { ...MANAGED_BY, [`${GROUP}/tenant`]: 'kube-evil' } } },
      }),
    );
    expect((await admin.request('GET', '/api/v1/namespaces/not-a-tenant')).body.status.phase).toBe('Active');
    expect((await admin.request('GET', '/api/v1/namespaces/kube-system')).body.status.phase).toBe('Active');
  });

  it('may not read a Secret in cnpaas-system, nor list Secrets anywhere', async () => {
    await stack.kubectl([
      'create',
      'secret',
      'generic',
      'confinement-probe',
      '-n',
      SYSTEM_NAMESPACE,
      '--from-literal=token=not-for-the-operator',
    ]);
    expect(
      (await admin.request('GET', `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets/confinement-probe`)).status,
    ).toBe(200);
    expectRbacDenied(await operator.request('GET', `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets/confinement-probe`));
    expectRbacDenied(await operator.request('GET', '/api/v1/secrets'));
    expectRbacDenied(await operator.request('GET', `/api/v1/namespaces/${tenant}/secrets`));
    expectRbacDenied(
      await operator.request('POST', `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets`, {
        body: secret(SYSTEM_NAMESPACE, 'planted', MANAGED_BY),
      }),
    );
  });

  it('may not delete or edit ClusterRoles it did not make (cluster-admin, admin, view), even by adding its label', async () => {
    const clusterRoles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    for (const name of ['cluster-admin', 'admin', 'view']) {
      expectPolicyDenied(await operator.request('DELETE', `${clusterRoles}/${name}${DRY_RUN}`));
    }
    // Emptying cluster-admin needs no permission the operator lacks, so RBAC's escalation check lets it
    // through: the policy must not. (The aggregated admin and view need cluster-admin to edit at all.)
    const current = (await operator.request('GET', `${clusterRoles}/cluster-admin`)).body;
    const emptied = { ...current, rules: [] };
    expectPolicyDenied(await operator.request('PUT', `${clusterRoles}/cluster-admin${DRY_RUN}`, { body: emptied }));
    const relabelled = {
      ...emptied,
      metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...MANAGED_BY } },
    };
    expectPolicyDenied(await operator.request('PUT', `${clusterRoles}/cluster-admin${DRY_RUN}`, { body: relabelled }));
    for (const name of ['admin', 'view']) {
      const role = (await operator.request('GET', `${clusterRoles}/${name}`)).body;
      expect(
        (
          await operator.request('PUT', `${clusterRoles}/${name}${DRY_RUN}`, {
            body: { ...role, metadata: { ...role.metadata, labels: MANAGED_BY } },
          })
        ).status,
      ).toBe(403);
    }
    expect((await admin.request('GET', `${clusterRoles}/cluster-admin`)).body.rules).toEqual(current.rules);
  });

  it('may bind its per-namespace role only in a tenant namespace', async () => {
    const binding = (namespace: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'operator-elsewhere', namespace, labels: MANAGED_BY },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cnpaas-operator-tenant' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: OPERATOR }],
    });
    expectPolicyDenied(
      await operator.request(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings${DRY_RUN}`,
        { body: binding('kube-system') },
      ),
    );
    expectPolicyDenied(
      await operator.request(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${SYSTEM_NAMESPACE}/rolebindings${DRY_RUN}`,
        { body: binding(SYSTEM_NAMESPACE) },
      ),
    );
  });

  it('may bind cnpaas-api-server in a tenant namespace to a Role only, never to a ClusterRole', async () => {
    const binding = (roleRef: { kind: string; name: string }) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'api-server-probe', namespace: tenant, labels: MANAGED_BY },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-api-server' }],
    });
    const path = `/apis/rbac.authorization.k8s.io/v1/namespaces/${tenant}/rolebindings${DRY_RUN}`;
    // What the User controller makes: the per-User Role (it exists since the registration above).
    const own = await operator.request('POST', path, { body: binding({ kind: 'Role', name: `${tenant}-api-server` }) });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    // The operator may bind cnpaas-operator-tenant (for itself), but not to the api-server's identity.
    expectPolicyDenied(
      await operator.request('POST', path, { body: binding({ kind: 'ClusterRole', name: 'cnpaas-operator-tenant' }) }),
    );
    // Another User subject stays refused.
    const other = binding({ kind: 'Role', name: `${tenant}-api-server` });
    other.subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'someone' }];
    expectPolicyDenied(await operator.request('POST', path, { body: other }));
  });

  it('in a tenant namespace: an unlabelled Secret is refused, a labelled one is allowed and its own to update', async () => {
    const secrets = `/api/v1/namespaces/${tenant}/secrets`;
    expectPolicyDenied(await operator.request('POST', secrets, { body: secret(tenant, 'unlabelled') }));
    expect((await admin.request('GET', `${secrets}/unlabelled`)).status).toBe(404);

    const created = await operator.request('POST', secrets, { body: secret(tenant, 'labelled', MANAGED_BY) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const updated = await operator.request('PUT', `${secrets}/labelled`, {
      body: { ...created.body, data: { probe: Buffer.from('changed').toString('base64') } },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    // Someone else's Secret in the same namespace stays out of reach: not even by adding the label.
    await stack.kubectl(['create', 'secret', 'generic', 'tenant-own', '-n', tenant, '--from-literal=k=v']);
    const theirs = (await operator.request('GET', `${secrets}/tenant-own`)).body;
    expectPolicyDenied(
      await operator.request('PUT', `${secrets}/tenant-own`, {
        body: { ...theirs, metadata: { ...theirs.metadata, labels: MANAGED_BY } },
      }),
    );
    // Deleting Secrets is not the operator's at all (the namespace's deletion takes them).
    expectRbacDenied(await operator.request('DELETE', `${secrets}/labelled`));
  });

  it("deleting the Tenant still removes its namespace and the User's cluster RBAC", async () => {
    await stack.kubectl(['delete', `tenants.${GROUP}`, tenant, '--wait=false']);
    await waitFor(
      `Tenant ${tenant} and Namespace ${tenant} to be gone`,
      async () => {
        const [t, ns] = await Promise.all([
          admin.request('GET', `/apis/${GROUP}/v1/tenants/${tenant}`),
          admin.request('GET', `/api/v1/namespaces/${tenant}`),
        ]);
        return t.status === 404 && ns.status === 404;
      },
      120_000,
      500,
    );
    for (const plural of ['clusterroles', 'clusterrolebindings']) {
      expect(
        (await admin.request('GET', `/apis/rbac.authorization.k8s.io/v1/${plural}/webshop-user.${tenant}.${tenant}`))
          .status,
      ).toBe(404);
    }
  });
});
