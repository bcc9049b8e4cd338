/**
 * The target cluster as `cnpaas install` sees it: one client for reads and
 * access reviews, and kubectl for what kubectl does best (Kustomize, server-
 * side apply in dependency order, waits). Reads use @cnpaas/kube's client
 * with the person's kubeconfig, so any credential kubeconfig allows (client
 * certificates, tokens, exec plugins) works.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient } from '@cnpaas/kube';
import { PlatformError } from '../errors.js';
import { runKubectl, type KubectlResult } from '../kubectl.js';

export interface ClusterOptions {
  kubeconfig: string;
  /** The pinned kubectl. */
  kubectl: string;
}

/** What one kind is in the API: its resource name and scope. */
export interface ResourceInfo {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

export class Cluster {
  readonly client: KubeClient;
  readonly server: string;
  readonly #discovery = new Map<string, Promise<Map<string, ResourceInfo> | null>>();

  constructor(readonly options: ClusterOptions) {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(options.kubeconfig);
    } catch (err) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        `the kubeconfig ${options.kubeconfig} cannot be read: ${(err as Error).message}`,
        { hint: 'pass --kubeconfig FILE naming a kubeconfig for the cluster to install into', cause: err },
      );
    }
    this.server = kc.getCurrentCluster()?.server ?? '(no current cluster)';
    this.client = new KubeClient(kc, { requestTimeoutMs: 15_000 });
  }

  kubectl(args: string[], input?: string, timeoutMs?: number): Promise<KubectlResult> {
    return runKubectl({
      kubectl: this.options.kubectl,
      kubeconfig: this.options.kubeconfig,
      args,
      ...(input === undefined ? {} : { input }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  /** The object (or list), or undefined when it does not exist. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.read<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /**
   * GET, retried while the apiserver answers 429: it does so for a custom
   * resource while that CRD's storage is being set up again, which a CRD just
   * applied causes, for a second or two.
   */
  async read<T>(path: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.json<T>({ method: 'GET', path });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 429) || attempt >= 30) throw err;
        const after = Number(err.headers?.['retry-after']);
        await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 1000));
      }
    }
  }

  /**
   * The resources of one group/version, by kind; null when the server does
   * not serve that group/version at all.
   */
  resourcesOf(apiVersion: string): Promise<Map<string, ResourceInfo> | null> {
    let found = this.#discovery.get(apiVersion);
    if (!found) {
      found = this.#discover(apiVersion);
      this.#discovery.set(apiVersion, found);
    }
    return found;
  }

  async #discover(apiVersion: string): Promise<Map<string, ResourceInfo> | null> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = await this.get<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>(path);
    if (!list) return null;
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources
      byKind.set(r.kind, { group: group!, version: version!, resource: r.name, namespaced: r.namespaced });
    }
    return byKind;
  }

  /** Forgets what discovery found (CRDs were just installed). */
  forgetDiscovery(): void {
    this.#discovery.clear();
  }

  /** Whether the caller may do `verb` on the resource (SelfSubjectAccessReview). */
  async can(
    verb: string,
    info: { group: string; resource: string; namespace?: string; name?: string },
  ): Promise<boolean> {
    const review = await this.client.json<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb,
            group: info.group,
            resource: info.resource,
            ...(info.namespace ? { namespace: info.namespace } : {}),
            ...(info.name ? { name: info.name } : {}),
          },
        },
      },
    });
    return review.status?.allowed === true;
  }
}
