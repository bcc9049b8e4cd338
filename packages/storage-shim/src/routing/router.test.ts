import { describe, expect, it } from 'vitest';
import { toKeyRange, prefixEnd } from '../keys.js';
import { Router } from './router.js';
import { parseTopology } from './topology.js';

const router = new Router(
  parseTopology(
    `
backends:
  - name: tenants
    endpoint: sqlite://tenants.db
    customresource: { group: webshop.cnpaas.dev/v1, kind: tenants }
  - name: shop
    endpoint: sqlite://shop.db
    customresource: { group: webshop.cnpaas.dev }
  - name: ks-pods
    endpoint: sqlite://ks.db
    namespace: { namespace: kube-system, kinds: [pods] }
  - name: leases
    endpoint: sqlite://leases.db
    prefix: { prefix: leases/ }
  - name: rbac
    endpoint: sqlite://rbac.db
    regexp: { prefix: "(clusterroles|roles)/" }
`,
    { file: 't.yaml', dataDir: '/d' },
  ),
);

const key = (k: string) => Buffer.from(k);

describe('Router', () => {
  it.each([
    ['/registry/webshop.cnpaas.dev/tenants/t-1', 'tenants'],
    ['/registry/webshop.cnpaas.dev/users/ns/u', 'shop'],
    ['/registry/webshop.cnpaas.dev/registrationrequests/r', 'shop'],
    ['/registry/pods/kube-system/coredns', 'ks-pods'],
    ['/registry/pods/default/web', 'main'],
    ['/registry/services/specs/kube-system/dns', 'main'],
    ['/registry/leases/kube-system/lock', 'leases'],
    ['/registry/clusterroles/admin', 'rbac'],
    ['/registry/roles/ns/r', 'rbac'],
    ['/registry/rolebindings/ns/r', 'main'],
    ['compact_rev_key', 'main'],
  ])('routes %s to %s (first match wins)', (k, backend) => {
    expect(router.backendFor(key(k))).toBe(backend);
  });

  it('narrows a range to the backends that can hold its keys', () => {
    const prefix = key('/registry/webshop.cnpaas.dev/tenants/');
    expect(router.backendsFor(toKeyRange(prefix, prefixEnd(prefix))).sort()).toEqual([
      'main',
      'rbac',
      'shop',
      'tenants',
    ]);
    const pods = key('/registry/pods/default/');
    expect(router.backendsFor(toKeyRange(pods, prefixEnd(pods))).sort()).toEqual(['main', 'rbac']);
    expect(router.backendsFor(toKeyRange(key('/registry/leases/kube-system/lock'), Buffer.alloc(0)))).toEqual([
      'leases',
    ]);
  });
});
