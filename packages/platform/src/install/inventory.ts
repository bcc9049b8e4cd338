/**
 * The list of what `cnpaas install` applied, kept in the cluster (a ConfigMap
 * in kube-system, which outlives the services' namespace) so that `cnpaas uninstall`
 * needs no local state and removes exactly those objects. It names objects;
 * it holds no contents.
 */
import { manifestsYaml, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { FIELD_MANAGER, INSTALLED_BY, INSTALLED_BY_LABEL, INVENTORY } from './names.js';

export interface InventoryEntry {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export async function writeInventory(cluster: Cluster, objects: readonly ManifestObject[]): Promise<void> {
  const entries: InventoryEntry[] = objects.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  }));
  const configMap: ManifestObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...INVENTORY, labels: { [INSTALLED_BY_LABEL]: INSTALLED_BY } },
    data: { objects: JSON.stringify(entries, null, 1) },
  };
  const res = await cluster.kubectl(
    ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    manifestsYaml([configMap]),
  );
  if (res.code !== 0) {
    throw new PlatformError('CNPAAS_PLATFORM_INSTALL', `writing the inventory failed: ${res.stderr.trim()}`);
  }
}

/** The inventory, or undefined when nothing was installed by cnpaas install. */
export async function readInventory(cluster: Cluster): Promise<InventoryEntry[] | undefined> {
  const found = await cluster.get<{ data?: { objects?: string } }>(
    `/api/v1/namespaces/${INVENTORY.namespace}/configmaps/${INVENTORY.name}`,
  );
  if (!found) return undefined;
  try {
    return JSON.parse(found.data?.objects ?? '[]') as InventoryEntry[];
  } catch (err) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL',
      `the inventory ${INVENTORY.namespace}/${INVENTORY.name} does not parse: ${(err as Error).message}`,
      { hint: 'run cnpaas install again to rewrite it, then cnpaas uninstall', cause: err },
    );
  }
}
