/**
 * The workshop's example files (examples/shirts/, examples/topologies/workshop.yaml)
 * are what the live tests apply; here, without a stack, that they say what
 * docs/workshop.md says: the workshop topology is the demo topology plus one
 * route, and that route takes the shirts and nothing else.
 */
import { readFileSync } from 'node:fs';
import { Router, loadTopology } from '@cnpaas/storage-shim';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { webshopTopology } from '@cnpaas/webshop';
import { SHIRTS_CRD, SHIRTS_FILE, SHIRTS_TOPOLOGY } from './support/shirts.js';

const DATA = '/var/lib/cnpaas-example/data';

describe('the shirts example', () => {
  const workshop = loadTopology(SHIRTS_TOPOLOGY, DATA);
  const demo = loadTopology(webshopTopology(), DATA);

  it('routes with the demo topology first, unchanged, then shirts to shirts.db', () => {
    expect(workshop.warnings).toEqual([]);
    const strip = (b: (typeof demo.backends)[number]) => ({ name: b.name, endpoint: b.endpoint, matcher: b.matcher });
    expect(workshop.backends.slice(0, demo.backends.length).map(strip)).toEqual(demo.backends.map(strip));
    expect(workshop.backends.map((b) => b.name)).toEqual([...demo.backends.map((b) => b.name), 'shirts']);
    expect(workshop.backends.at(-1)?.endpoint).toBe('sqlite://shirts.db');
  });

  // Shirts to their own file, webshop kinds where the demo sends them, the rest to main.
  it.each([
    ['/registry/stable.example.com/shirts/default/blue-m', 'shirts'],
    ['/registry/webshop.cnpaas.dev/tenants/t-0123456789ab', 'tenants'],
    ['/registry/webshop.cnpaas.dev/users/t-0123456789ab/t-0123456789ab', 'users'],
    ['/registry/webshop.cnpaas.dev/registrationrequests/ada', 'main'],
    ['/registry/apiextensions.k8s.io/customresourcedefinitions/shirts.stable.example.com', 'main'],
  ])('sends %s to %s', (key, backend) => {
    expect(new Router(workshop).backendFor(Buffer.from(key))).toBe(backend);
  });

  it('has shirts of the CRD it ships, each labelled with its own color and size', () => {
    const crd = parseAllDocuments(SHIRTS_CRD)[0]!.toJS();
    const shirts = parseAllDocuments(readFileSync(SHIRTS_FILE, 'utf8')).map((d) => d.toJS());
    expect(shirts.length).toBeGreaterThanOrEqual(3);
    for (const shirt of shirts) {
      expect(shirt.apiVersion).toBe(`${crd.spec.group}/${crd.spec.versions[0].name}`);
      expect(shirt.kind).toBe(crd.spec.names.kind);
      expect(shirt.metadata.namespace).toBeUndefined();
      expect(shirt.metadata.labels).toEqual({ color: shirt.spec.color, size: shirt.spec.size });
    }
  });
});
