import { describe, expect, it } from 'vitest';
import {
  APIGROUP_DISCOVERY_V2,
  addDiscoveryRoutes,
  apiGroupDiscoveryList,
  apiResourceList,
  negotiateDiscovery,
  type DiscoveryReply,
  type ServedGroupVersion,
} from './discovery.js';

const API: ServedGroupVersion = {
  group: 'api.inventory.cnpaas.dev',
  version: 'v1',
  resources: [
    { plural: 'widgetrequests', singular: 'widgetrequest', kind: 'WidgetRequest', namespaced: true, verbs: ['create'] },
  ],
};

/** What kube-aggregator's handler_discovery.go sends. */
const AGGREGATOR_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('discovery documents', () => {
  it('lists the resources with their scope and verbs, categories only when given', () => {
    expect(apiResourceList(API)).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'api.inventory.cnpaas.dev/v1',
      resources: [
        {
          name: 'widgetrequests',
          singularName: 'widgetrequest',
          namespaced: true,
          kind: 'WidgetRequest',
          verbs: ['create'],
        },
      ],
    });
    const item = apiGroupDiscoveryList({ ...API, categories: ['inventory'] }, 'v2').items[0]!;
    expect(item.versions[0]!.resources[0]).toMatchObject({ scope: 'Namespaced', categories: ['inventory'] });
  });

  it('negotiates aggregated discovery as the aggregator asks, legacy for plain JSON', () => {
    expect(negotiateDiscovery(AGGREGATOR_ACCEPT)).toBe('v2');
    expect(
      negotiateDiscovery('application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'),
    ).toBeUndefined();
    expect(negotiateDiscovery(undefined)).toBeUndefined();
  });

  it('adds the three routes, answering /apis by the Accept header', async () => {
    const routes = new Map<
      string,
      (request: { headers: { accept?: string } }, reply: DiscoveryReply) => Promise<DiscoveryReply>
    >();
    addDiscoveryRoutes({ get: (path, handler) => routes.set(path, handler) }, API);
    expect([...routes.keys()]).toEqual([
      '/apis',
      '/apis/api.inventory.cnpaas.dev',
      '/apis/api.inventory.cnpaas.dev/v1',
    ]);
    const sent: { headers: Record<string, string>; body?: unknown } = { headers: {} };
    const reply: DiscoveryReply = {
      header: (name, value) => ((sent.headers[name] = value), reply),
      type: (value) => ((sent.headers['Content-Type'] = value), reply),
      send: (body) => ((sent.body = body), reply),
    };
    await routes.get('/apis')!({ headers: { accept: AGGREGATOR_ACCEPT } }, reply);
    expect(sent.headers).toEqual({ Vary: 'Accept', 'Content-Type': APIGROUP_DISCOVERY_V2 });
    expect(JSON.parse((sent.body as Buffer).toString('utf8'))).toMatchObject({ kind: 'APIGroupDiscoveryList' });
    await routes.get('/apis')!({ headers: { accept: 'application/json' } }, reply);
    expect(sent.body).toMatchObject({ kind: 'APIGroupList', groups: [{ name: 'api.inventory.cnpaas.dev' }] });
  });
});
