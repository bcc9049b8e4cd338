/**
 * `cnpaas uninstall`: removes what `cnpaas install` applied, as its inventory
 * lists it, and nothing else: an object that no longer carries the
 * installed-by label (someone replaced it) is left alone and named. The
 * services' data (custom resources install did not make) would go with the
 * CRDs, so uninstall refuses while any exists unless told --delete-data.
 *
 * Order: the webhook configurations and the APIService first (so no request
 * is sent to pods about to go), then the custom resources, the workloads and
 * policies, and the CRDs and the namespace last.
 */
import { KubeApiError } from '@cnpaas/kube';
import { PlatformError } from '../errors.js';
import { Cluster } from './cluster.js';
import { readInventory, type InventoryEntry } from './inventory.js';
import { INSTALLED_BY, INSTALLED_BY_LABEL, INVENTORY } from './names.js';

export interface UninstallOptions {
  kubeconfig: string;
  kubectl: string;
  /** Also delete the data the CRDs hold (default false: refuse while there is any). */
  deleteData?: boolean;
  /** How long to wait for the namespace and the CRDs to be gone (default 2 minutes). */
  timeoutMs?: number;
  say?: (line: string) => void;
}

export interface UninstallResult {
  deleted: InventoryEntry[];
  /** Listed in the inventory but no longer ours (label gone): not deleted. */
  leftAlone: InventoryEntry[];
}

const FIRST = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);
const LAST = new Set(['Namespace', 'CustomResourceDefinition']);

function rank(e: InventoryEntry, customKinds: Set<string>): number {
  if (FIRST.has(e.kind)) return 0;
  if (customKinds.has(`${e.apiVersion}:${e.kind}`)) return 1;
  if (LAST.has(e.kind)) return 3;
  return 2;
}

type Crd = {
  spec: {
    group: string;
    names: { kind: string; plural: string };
    versions: Array<{ name: string; storage?: boolean }>;
  };
};
type Labelled = { metadata?: { labels?: Record<string, string> } };

export async function uninstall(options: UninstallOptions): Promise<UninstallResult> {
  const say = options.say ?? (() => {});
  const cluster = new Cluster({ kubeconfig: options.kubeconfig, kubectl: options.kubectl });
  const inventory = await readInventory(cluster);
  if (!inventory) {
    say(`nothing to do: ${INVENTORY.namespace}/${INVENTORY.name} is absent, so cnpaas install put nothing here`);
    return { deleted: [], leftAlone: [] };
  }

  // Data check, before anything is deleted.
  const customKinds = new Set<string>();
  const data: string[] = [];
  for (const e of inventory.filter((i) => i.kind === 'CustomResourceDefinition')) {
    const crd = await cluster.get<Crd>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${e.name}`);
    if (!crd) continue;
    const { group, names, versions } = crd.spec;
    for (const v of versions) customKinds.add(`${group}/${v.name}:${names.kind}`);
    const version = (versions.find((v) => v.storage) ?? versions[0])!.name;
    const list = await cluster.read<{ items: Labelled[] }>(`/apis/${group}/${version}/${names.plural}`);
    const theirs = list.items.filter((i) => i.metadata?.labels?.[INSTALLED_BY_LABEL] !== INSTALLED_BY).length;
    if (theirs > 0) data.push(`${theirs} ${names.plural}`);
  }
  if (data.length > 0 && !options.deleteData) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_UNINSTALL_DATA',
      `the cluster holds data that goes with the installed CRDs: ${data.join(', ')}`,
      { hint: 'back it up or remove it, or pass --delete-data to delete it with cnpaas; nothing was deleted' },
    );
  }

  const deleted: InventoryEntry[] = [];
  const leftAlone: InventoryEntry[] = [];
  const ordered = [...inventory].sort((a, b) => rank(a, customKinds) - rank(b, customKinds));
  for (const e of ordered) {
    const info = (await cluster.resourcesOf(e.apiVersion))?.get(e.kind);
    if (!info) continue; // its CRD is already gone, and the object with it
    const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const path = `${base}${info.namespaced ? `/namespaces/${e.namespace ?? 'default'}` : ''}/${info.resource}/${e.name}`;
    const current = await cluster.get<Labelled>(path);
    if (!current) continue;
    if (current.metadata?.labels?.[INSTALLED_BY_LABEL] !== INSTALLED_BY) {
      leftAlone.push(e);
      say(
        `left alone: ${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name} no longer carries ${INSTALLED_BY_LABEL}`,
      );
      continue;
    }
    try {
      await cluster.client.json({
        method: 'DELETE',
        path,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
      });
      deleted.push(e);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
    }
  }
  say(`✓ deleted ${deleted.length} objects`);

  // The namespace and the CRDs finish asynchronously (finalizers): wait until they are gone.
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (const e of deleted.filter((d) => LAST.has(d.kind))) {
    const path =
      e.kind === 'Namespace'
        ? `/api/v1/namespaces/${e.name}`
        : `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${e.name}`;
    while ((await cluster.get(path)) !== undefined) {
      if (Date.now() > deadline) {
        throw new PlatformError('CNPAAS_PLATFORM_INSTALL', `${e.kind} ${e.name} is still terminating`, {
          hint: `look at kubectl get ${e.kind.toLowerCase()} ${e.name} -o yaml (its conditions say what blocks it)`,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await cluster.client
    .json({ method: 'DELETE', path: `/api/v1/namespaces/${INVENTORY.namespace}/configmaps/${INVENTORY.name}` })
    .catch((err: unknown) => {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
    });
  say('✓ the namespace and the CRDs are gone; uninstalled');
  return { deleted, leftAlone };
}
