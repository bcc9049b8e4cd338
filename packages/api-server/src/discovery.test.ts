/**
 * Discovery and OpenAPI documents, over real TLS as the aggregator fetches
 * them. (The SubjectAccessReview comes from a fake kube API here; the live
 * suites in e2e/ prove that the aggregator marks the APIService Available and
 * that kubectl explain reads the OpenAPI document.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_VERSION_PATH, REGISTRATIONS_PATH } from './api-group.js';
import { APIGROUP_DISCOVERY_V2, negotiateDiscovery } from './discovery.js';
import { testPki } from './test-support/pki.js';
import { startStack, type TestStack } from './test-support/stack.js';

/** What kube-aggregator's handler_discovery.go sends. */
const AGGREGATOR_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack(await testPki());
});
afterAll(async () => stack.close());

describe('discovery', () => {
  it('GET /apis/<group>/v1: the APIResourceList the availability check and legacy discovery read', async () => {
    const reply = await stack.proxied(GROUP_VERSION_PATH, {
      user: 'system:kube-aggregator',
      groups: ['system:masters'],
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'api.webshop.cnpaas.dev/v1',
      resources: [
        {
          name: 'registrations',
          singularName: 'registration',
          namespaced: false,
          kind: 'Registration',
          verbs: ['create'],
          categories: ['webshop'],
        },
        ...['verification', 'login'].map((singular) => ({
          name: `${singular}s`,
          singularName: singular,
          namespaced: false,
          kind: singular[0]!.toUpperCase() + singular.slice(1),
          verbs: ['create'],
          categories: ['webshop'],
        })),
      ],
    });
  });

  it('GET /apis: the legacy APIGroupList for a plain JSON client', async () => {
    const reply = await stack.proxied('/apis', { headers: { Accept: 'application/json' } });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'api.webshop.cnpaas.dev',
          versions: [{ groupVersion: 'api.webshop.cnpaas.dev/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'api.webshop.cnpaas.dev/v1', version: 'v1' },
        },
      ],
    });
  });

  it("GET /apis with the aggregator's Accept: aggregated discovery v2 with its content type", async () => {
    const reply = await stack.proxied('/apis', { headers: { Accept: AGGREGATOR_ACCEPT } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(APIGROUP_DISCOVERY_V2);
    expect(reply.headers['vary']).toBe('Accept');
    expect(reply.json).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    expect(reply.json.items[0]).toEqual({
      metadata: { name: 'api.webshop.cnpaas.dev' },
      versions: [
        {
          version: 'v1',
          freshness: 'Current',
          resources: [
            {
              resource: 'registrations',
              responseKind: { group: 'api.webshop.cnpaas.dev', version: 'v1', kind: 'Registration' },
              scope: 'Cluster',
              singularResource: 'registration',
              verbs: ['create'],
              categories: ['webshop'],
            },
            ...['Verification', 'Login'].map((kind) => ({
              resource: `${kind.toLowerCase()}s`,
              responseKind: { group: 'api.webshop.cnpaas.dev', version: 'v1', kind },
              scope: 'Cluster',
              singularResource: kind.toLowerCase(),
              verbs: ['create'],
              categories: ['webshop'],
            })),
          ],
        },
      ],
    });
  });

  it('GET /apis/<group>: the APIGroup', async () => {
    const reply = await stack.proxied('/apis/api.webshop.cnpaas.dev');
    expect(reply.json).toMatchObject({
      kind: 'APIGroup',
      name: 'api.webshop.cnpaas.dev',
      preferredVersion: { version: 'v1' },
    });
  });

  it('negotiates in the order of the Accept header', () => {
    expect(negotiateDiscovery(AGGREGATOR_ACCEPT)).toBe('v2');
    expect(
      negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'),
    ).toBe('v2beta1');
    expect(
      negotiateDiscovery('application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'),
    ).toBeUndefined();
    expect(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList')).toBeUndefined();
    expect(negotiateDiscovery(undefined)).toBeUndefined();
  });

  it('answers unknown paths with a 404 Status and GET on registrations with 405', async () => {
    const missing = await stack.proxied('/apis/api.webshop.cnpaas.dev/v2');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    const list = await stack.proxied(REGISTRATIONS_PATH);
    expect(list.status).toBe(405);
    expect(list.json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
  });
});

describe('OpenAPI v3', () => {
  it('lists the group-version with a content hash, and serves a document describing the POST and the Registration schema', async () => {
    const root = await stack.proxied('/openapi/v3', { user: 'system:aggregator', groups: [] });
    expect(root.status).toBe(200);
    const entry = root.json.paths['apis/api.webshop.cnpaas.dev/v1'];
    expect(Object.keys(root.json.paths)).toEqual(['apis/api.webshop.cnpaas.dev/v1']);
    expect(entry.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/api\.webshop\.cnpaas\.dev\/v1\?hash=[0-9A-F]{128}$/);

    const doc = await stack.proxied(entry.serverRelativeURL);
    expect(doc.status).toBe(200);
    expect(doc.headers['etag']).toBe(`"${entry.serverRelativeURL.split('hash=')[1]}"`);
    expect(doc.headers['cache-control']).toBe('public, immutable');
    expect(doc.json.openapi).toMatch(/^3\./);
    const post = doc.json.paths['/apis/api.webshop.cnpaas.dev/v1/registrations'].post;
    expect(post['x-kubernetes-action']).toBe('post');
    expect(post['x-kubernetes-group-version-kind']).toEqual({
      group: 'api.webshop.cnpaas.dev',
      version: 'v1',
      kind: 'Registration',
    });
    expect(Object.keys(post.requestBody.content)).toEqual(['application/json', 'application/yaml']);
    expect(post.responses['201']).toBeDefined();
    expect(post.parameters.map((p: { name: string }) => p.name)).toContain('dryRun');

    const schema = doc.json.components.schemas['dev.cnpaas.webshop.api.v1.Registration'];
    expect(schema['x-kubernetes-group-version-kind']).toEqual([
      { group: 'api.webshop.cnpaas.dev', version: 'v1', kind: 'Registration' },
    ]);
    expect(schema.properties.spec.required).toEqual(['user', 'password', 'tenant']);
    expect(Object.keys(schema.properties.status.properties)).toEqual(['tenant', 'namespace', 'user', 'email']);
    // Verifications and logins: POST-only, each with its kind and its refusals.
    for (const [plural, kind, refusals] of [
      ['verifications', 'Verification', ['400', '404', '409', '410']],
      ['logins', 'Login', ['401', '403', '429']],
    ] as const) {
      const op = doc.json.paths[`/apis/api.webshop.cnpaas.dev/v1/${plural}`].post;
      expect(op['x-kubernetes-group-version-kind']).toEqual({ group: 'api.webshop.cnpaas.dev', version: 'v1', kind });
      for (const code of refusals) expect(op.responses[code], `${plural} ${code}`).toBeDefined();
      expect(doc.json.components.schemas[`dev.cnpaas.webshop.api.v1.${kind}`].properties.spec).toBeDefined();
    }
    // Every $ref resolves inside the document.
    for (const [, name] of JSON.stringify(doc.json).matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.json.components.schemas).toHaveProperty([name!]);
  });

  it('asks to revalidate a URL without the current hash', async () => {
    const doc = await stack.proxied('/openapi/v3/apis/api.webshop.cnpaas.dev/v1');
    expect(doc.status).toBe(200);
    expect(doc.headers['cache-control']).toBe('no-cache, private');
  });
});
