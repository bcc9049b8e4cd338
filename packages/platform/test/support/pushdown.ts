/**
 * What the selector push-down live tests read from a control plane: the names
 * a LIST returns, page by page, and kube-apiserver's own count of what it
 * fetched from storage against what it returned.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient } from '@cnpaas/kube';
import { binaryCacheDir } from '../../src/kube-binaries.js';
import { pinnedKubeVersion } from '../../src/kube-version.js';

const PUSHDOWN_BINARY = path.join(binaryCacheDir(pinnedKubeVersion()), 'kube-apiserver-pushdown');

/** Why the push-down tests cannot run here, or undefined when kube-apiserver-pushdown is available. */
export function pushdownBinaryMissing(): string | undefined {
  return process.env.TEST_ASSET_KUBE_APISERVER_PUSHDOWN || existsSync(PUSHDOWN_BINARY)
    ? undefined
    : `${PUSHDOWN_BINARY} is not built (bash scripts/k8s/build.sh --pushdown)`;
}

interface NamedList {
  metadata: { continue?: string; resourceVersion: string };
  items: Array<{ metadata: { name: string } }>;
}

/** Every name a LIST of `resourcePath` returns, following `continue` when `limit` pages it. */
export async function listNames(
  client: KubeClient,
  resourcePath: string,
  query: Record<string, string | number>,
): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined;
  do {
    const page: NamedList = await client.json({
      method: 'GET',
      path: resourcePath,
      query: { ...query, ...(next ? { continue: next } : {}) },
    });
    out.push(...page.items.map((o) => o.metadata.name));
    next = page.metadata.continue || undefined;
  } while (next);
  return out;
}

/**
 * kube-apiserver's count of the objects it fetched from storage and the ones
 * it returned, over every LIST of one resource (all its versions) so far.
 */
export async function listCounters(
  client: KubeClient,
  resource: { group: string; resource: string },
): Promise<{ fetched: number; returned: number }> {
  const text = (await client.raw('GET', '/metrics')).body.toString('utf8');
  const value = (metric: string) => {
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith(`${metric}{`) &&
          l.includes(`group="${resource.group}"`) &&
          l.includes(`resource="${resource.resource}"`),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return {
    fetched: value('apiserver_storage_list_fetched_objects_total'),
    returned: value('apiserver_storage_list_returned_objects_total'),
  };
}
