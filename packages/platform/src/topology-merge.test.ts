import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTopology } from '@cnpaas/storage-shim';
import { webshopTopology } from '@cnpaas/webshop';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.js';
import { mergeTopologies } from './topology-merge.js';

const fragment = (name: string, group: string, kind = 'widgets') => `apiVersion: platform.cnpaas.dev/v1
kind: TopologyConfig
metadata:
  name: ${name}
spec:
  backends:
    - name: ${name}
      endpoint: sqlite://${name}.db
      customresource: { group: ${group}/v1, kind: ${kind} }
`;

describe("merging the services' store topologies", () => {
  const tmp = useTempDir('cnpaas-topology-');
  const file = (name: string, text: string) => {
    const f = path.join(tmp.dir, name);
    writeFileSync(f, text);
    return f;
  };

  it("uses one service's file as it is", () => {
    const out = path.join(tmp.dir, 'merged.yaml');
    expect(
      mergeTopologies({ fragments: [{ service: 'webshop', file: webshopTopology() }], out, dataDir: tmp.dir }),
    ).toBe(webshopTopology());
  });

  it('writes several as one file the store reads with every route', () => {
    const inventory = file('inventory.yaml', fragment('inventory', 'inventory.cnpaas.dev'));
    const out = mergeTopologies({
      fragments: [
        { service: 'webshop', file: webshopTopology() },
        { service: 'inventory', file: inventory },
      ],
      out: path.join(tmp.dir, 'merged.yaml'),
      dataDir: tmp.dir,
    });
    expect(out).toBe(path.join(tmp.dir, 'merged.yaml'));
    const merged = loadTopology(out, tmp.dir);
    expect(merged.backends.map((b) => b.name)).toEqual(['tenants', 'users', 'emails', 'inventory']);
    expect(merged.backends[3]!.matcher).toEqual({
      type: 'customresource',
      group: 'inventory.cnpaas.dev',
      kind: 'widgets',
    });
  });

  it('writes an empty routing when no service has a fragment', () => {
    const out = mergeTopologies({ fragments: [], out: path.join(tmp.dir, 'merged.yaml'), dataDir: tmp.dir });
    expect(loadTopology(out, tmp.dir).backends).toEqual([]);
    expect(readFileSync(out, 'utf8')).toContain('backends: []');
  });

  it('refuses a route, a backend name or a database two services share, naming both', () => {
    const webshop = { service: 'webshop', file: webshopTopology() };
    const out = path.join(tmp.dir, 'merged.yaml');
    const sameKind = file('a.yaml', fragment('shop-users', 'webshop.cnpaas.dev', 'users'));
    expect(() =>
      mergeTopologies({ fragments: [webshop, { service: 'a', file: sameKind }], out, dataDir: tmp.dir }),
    ).toThrow('the store topologies of webshop and a both have a route for customresource webshop.cnpaas.dev/users');
    const sameName = file('b.yaml', fragment('tenants', 'b.cnpaas.dev'));
    expect(() =>
      mergeTopologies({ fragments: [webshop, { service: 'b', file: sameName }], out, dataDir: tmp.dir }),
    ).toThrow('the store topologies of webshop and b both have a backend named "tenants"');
    const wholeGroup = file('c.yaml', fragment('c', 'webshop.cnpaas.dev').replace(', kind: widgets', ''));
    expect(() =>
      mergeTopologies({ fragments: [webshop, { service: 'c', file: wholeGroup }], out, dataDir: tmp.dir }),
    ).toThrow(/webshop and c both have a route for customresource webshop.cnpaas.dev\/\*/);
  });
});
