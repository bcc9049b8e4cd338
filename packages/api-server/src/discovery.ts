/**
 * Discovery documents, as kube-apiserver's aggregator and kubectl read them.
 *
 * - `GET /apis/api.webshop.cnpaas.dev/v1`: the APIResourceList. The
 *   aggregator's availability check GETs it (5 s timeout) and marks the
 *   APIService Available on a 2xx; legacy discovery merges it.
 * - `GET /apis`: the APIGroupList, or aggregated discovery (apidiscovery.k8s.io
 *   v2, or v2beta1) when the Accept header asks for it. The aggregator asks
 *   for v2 first and falls back to the per-version document on anything else.
 * - `GET /apis/api.webshop.cnpaas.dev`: the APIGroup. The aggregator serves
 *   this one itself from APIService objects; ours is for direct callers.
 *
 * `registrations` is cluster-scoped with the single verb `create`: kubectl
 * then knows `kubectl create -f` works and `kubectl get registrations` does
 * not. The kind is Registration, which is what a POST answers with.
 */
import { API_GROUP, API_GROUP_VERSION, API_VERSION, LOGINS, REGISTRATIONS, VERIFICATIONS } from './api-group.js';

/** Every resource this server serves, all POST-only and cluster-scoped. */
export const SERVED_RESOURCES = [REGISTRATIONS, VERIFICATIONS, LOGINS] as const;

export const APIGROUP_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const APIGROUP_DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export function apiResourceList() {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: API_GROUP_VERSION,
    resources: SERVED_RESOURCES.map((r) => ({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
      categories: ['webshop'],
    })),
  };
}

function groupVersionForDiscovery() {
  return { groupVersion: API_GROUP_VERSION, version: API_VERSION };
}

export function apiGroup() {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: API_GROUP,
    versions: [groupVersionForDiscovery()],
    preferredVersion: groupVersionForDiscovery(),
  };
}

export function apiGroupList() {
  const { kind: _kind, apiVersion: _apiVersion, ...group } = apiGroup();
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
}

/** apidiscovery.k8s.io v2 (and v2beta1, the same shape) APIGroupDiscoveryList. */
export function apiGroupDiscoveryList(version: 'v2' | 'v2beta1') {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [
      {
        metadata: { name: API_GROUP },
        versions: [
          {
            version: API_VERSION,
            resources: SERVED_RESOURCES.map((r) => ({
              resource: r.plural,
              responseKind: { group: API_GROUP, version: API_VERSION, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: [...r.verbs],
              categories: ['webshop'],
            })),
            freshness: 'Current',
          },
        ],
      },
    ],
  };
}

/**
 * Which aggregated-discovery version the Accept header asks for, in its
 * order of preference; undefined for a legacy client (plain JSON).
 */
export function negotiateDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const entry of (accept ?? '').split(',')) {
    const [type, ...params] = entry.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (p.get('g') !== 'apidiscovery.k8s.io' || p.get('as') !== 'APIGroupDiscoveryList') {
      // A plain application/json before any discovery type: the client prefers the legacy list.
      if (p.size === 0 || (p.size === 1 && p.has('q'))) return undefined;
      continue;
    }
    const v = p.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}
