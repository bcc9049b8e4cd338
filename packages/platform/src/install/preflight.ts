/**
 * Everything `cnpaas install` checks before it applies anything, so bad input
 * is a clear error and never a half-installed cluster: the cluster answers,
 * it serves every API the manifests use, and the caller may create and patch
 * every object (plus the few reads install makes).
 */
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { INVENTORY } from './names.js';

/** GET /version; the cluster's "1.34.10"-style version. */
export async function checkReachable(cluster: Cluster): Promise<string> {
  try {
    const version = await cluster.client.json<{ gitVersion: string }>({
      method: 'GET',
      path: '/version',
      timeoutMs: 10_000,
    });
    return version.gitVersion;
  } catch (err) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_CLUSTER_UNREACHABLE',
      `no cluster answers at ${cluster.server}: ${(err as Error).message}`,
      {
        hint: 'check --kubeconfig and its current context (kubectl --kubeconfig FILE version should answer)',
        cause: err,
      },
    );
  }
}

type Crd = {
  spec: { group: string; names: { kind: string; plural: string }; scope: string; versions: Array<{ name: string }> };
};

/** The group, resource and namespace each object is written to; CRDs in the set answer for their own kinds. */
async function targets(cluster: Cluster, objects: readonly ManifestObject[]) {
  const fromCrds = new Map<string, { group: string; resource: string; namespaced: boolean }>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const { spec } = o as unknown as Crd;
    for (const v of spec.versions) {
      fromCrds.set(`${spec.group}/${v.name}:${spec.names.kind}`, {
        group: spec.group,
        resource: spec.names.plural,
        namespaced: spec.scope === 'Namespaced',
      });
    }
  }
  const missing: string[] = [];
  const found: Array<{ object: ManifestObject; group: string; resource: string; namespace?: string }> = [];
  for (const o of objects) {
    let info = fromCrds.get(`${o.apiVersion}:${o.kind}`);
    if (!info) {
      const served = await cluster.resourcesOf(o.apiVersion);
      const r = served?.get(o.kind);
      if (!r) {
        missing.push(`${o.kind} (${o.apiVersion})`);
        continue;
      }
      info = r;
    }
    found.push({
      object: o,
      group: info.group,
      resource: info.resource,
      ...(info.namespaced ? { namespace: o.metadata.namespace ?? 'default' } : {}),
    });
  }
  return { found, missing: [...new Set(missing)] };
}

export async function checkApisAndAccess(options: {
  cluster: Cluster;
  objects: readonly ManifestObject[];
  /** The cluster's Kubernetes version, for the message. */
  version: string;
  /** The install's namespace, where it reads back its own Secrets. */
  namespace: string;
}): Promise<void> {
  const { cluster, objects, version, namespace } = options;
  const { found, missing } = await targets(cluster, objects);
  if (missing.length > 0) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_CLUSTER_TOO_OLD',
      `the cluster (Kubernetes ${version}) does not serve ${missing.join(', ')}`,
      {
        hint: 'install into Kubernetes 1.30 or later (ValidatingAdmissionPolicy is GA there), with the aggregation layer on',
      },
    );
  }
  const checks = new Map<
    string,
    { verb: string; group: string; resource: string; namespace?: string; name?: string }
  >();
  const add = (c: { verb: string; group: string; resource: string; namespace?: string; name?: string }): void => {
    checks.set(JSON.stringify(c), c);
  };
  for (const t of found) {
    for (const verb of ['create', 'patch']) {
      add({ verb, group: t.group, resource: t.resource, ...(t.namespace ? { namespace: t.namespace } : {}) });
    }
  }
  // What install reads and keeps besides: its own Secrets (reused on a second run), the two cluster facts, the inventory.
  add({ verb: 'get', group: '', resource: 'secrets', namespace });
  add({ verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default' });
  add({
    verb: 'get',
    group: '',
    resource: 'configmaps',
    namespace: 'kube-system',
    name: 'extension-apiserver-authentication',
  });
  add({ verb: 'create', group: '', resource: 'configmaps', namespace: INVENTORY.namespace });
  add({ verb: 'patch', group: '', resource: 'configmaps', namespace: INVENTORY.namespace, name: INVENTORY.name });
  const denied: string[] = [];
  await Promise.all(
    [...checks.values()].map(async (c) => {
      if (!(await cluster.can(c.verb, c))) {
        const what = c.group ? `${c.resource}.${c.group}` : c.resource;
        denied.push(`${c.verb} ${what}${c.name ? `/${c.name}` : ''}${c.namespace ? ` in ${c.namespace}` : ''}`);
      }
    }),
  );
  if (denied.length > 0) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL_FORBIDDEN',
      `the kubeconfig's user may not ${denied.sort().join('; ')}`,
      {
        hint: 'install as a cluster administrator (cluster-admin), or grant those permissions first; nothing was applied',
      },
    );
  }
}
