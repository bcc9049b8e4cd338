/**
 * The discovery documents of an aggregated API group, as kube-apiserver's
 * aggregator and kubectl read them, for any group a package serves.
 *
 * - `GET /apis/<group>/<version>`: the APIResourceList. The aggregator's
 *   availability check GETs it (5 s timeout) and marks the APIService
 *   Available on a 2xx; legacy discovery merges it.
 * - `GET /apis`: the APIGroupList, or aggregated discovery
 *   (apidiscovery.k8s.io v2, or v2beta1) when the Accept header asks for it.
 *   The aggregator asks for v2 first and falls back to the per-version
 *   document on anything else.
 * - `GET /apis/<group>`: the APIGroup. The aggregator serves this one itself
 *   from APIService objects; ours is for direct callers.
 */
import type { GroupVersion } from './group-version.js';

/** One resource of the group, as discovery lists it. */
export interface ServedResource {
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: readonly string[];
}

/** A group-version a server serves, with every resource in it. */
export interface ServedGroupVersion extends GroupVersion {
  resources: readonly ServedResource[];
  /** `kubectl get <category>` lists the resources in it; none by default. */
  categories?: readonly string[];
}

export const APIGROUP_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const APIGROUP_DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

function categories(api: ServedGroupVersion): { categories?: string[] } {
  return api.categories && api.categories.length > 0 ? { categories: [...api.categories] } : {};
}

export function apiResourceList(api: ServedGroupVersion) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${api.group}/${api.version}`,
    resources: api.resources.map((r) => ({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
      ...categories(api),
    })),
  };
}

function groupVersionForDiscovery(api: ServedGroupVersion) {
  return { groupVersion: `${api.group}/${api.version}`, version: api.version };
}

export function apiGroup(api: ServedGroupVersion) {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: api.group,
    versions: [groupVersionForDiscovery(api)],
    preferredVersion: groupVersionForDiscovery(api),
  };
}

export function apiGroupList(api: ServedGroupVersion) {
  const { kind: _kind, apiVersion: _apiVersion, ...group } = apiGroup(api);
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
}

/** apidiscovery.k8s.io v2 (and v2beta1, the same shape) APIGroupDiscoveryList. */
export function apiGroupDiscoveryList(api: ServedGroupVersion, version: 'v2' | 'v2beta1') {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [
      {
        metadata: { name: api.group },
        versions: [
          {
            version: api.version,
            resources: api.resources.map((r) => ({
              resource: r.plural,
              responseKind: { group: api.group, version: api.version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: [...r.verbs],
              ...categories(api),
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

/** The parts of a fastify reply the discovery routes use. */
export interface DiscoveryReply {
  header(name: string, value: string): DiscoveryReply;
  type(contentType: string): DiscoveryReply;
  send(body: unknown): DiscoveryReply;
}

/** The parts of a fastify instance the discovery routes use (the kit does not load fastify). */
export interface DiscoveryRouteTarget {
  get(
    path: string,
    handler: (request: { headers: { accept?: string | undefined } }, reply: DiscoveryReply) => Promise<DiscoveryReply>,
  ): unknown;
}

/** `GET /apis`, `/apis/<group>` and `/apis/<group>/<version>` on the package's server. */
export function addDiscoveryRoutes(app: DiscoveryRouteTarget, api: ServedGroupVersion): void {
  app.get('/apis', async (request, reply) => {
    const version = negotiateDiscovery(request.headers.accept);
    reply.header('Vary', 'Accept');
    if (version) {
      // Verbatim, as kube-apiserver sends it: for a string or object fastify would re-format the
      // parameters and append a charset; a Buffer keeps the header as set.
      reply.header('Content-Type', version === 'v2' ? APIGROUP_DISCOVERY_V2 : APIGROUP_DISCOVERY_V2BETA1);
      return reply.send(Buffer.from(JSON.stringify(apiGroupDiscoveryList(api, version))));
    }
    return reply.type('application/json').send(apiGroupList(api));
  });
  app.get(`/apis/${api.group}`, async (_request, reply) => reply.type('application/json').send(apiGroup(api)));
  app.get(`/apis/${api.group}/${api.version}`, async (_request, reply) =>
    reply.type('application/json').send(apiResourceList(api)),
  );
}
