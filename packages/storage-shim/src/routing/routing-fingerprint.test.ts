import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { databaseIdentity } from '../drivers/registry.js';
import { SharedTopology } from '../drivers/shared-topology.js';
import {
  type RoutingFingerprint,
  decodeFingerprint,
  encodeFingerprint,
  fingerprintDigest,
  routingDifferences,
  routingFingerprint,
} from './routing-fingerprint.js';
import { parseTopology } from './topology.js';

const where = { file: '/etc/cnpaas/topology.yaml', dataDir: '/var/lib/cnpaas' };

/** The replicas' topology of these tests: two PostgreSQL databases and a MariaDB one, one matcher of each kind. */
const BASE = `
backends:
  - name: tenants
    endpoint: postgres://store:pw@db.example:5432/tenants?sslmode=disable
    customresource: { group: webshop.cnpaas.dev/v1, kind: tenants }
  - name: users
    endpoint: postgres://store:pw@db.example/users
    prefix: { prefix: users/ }
  - name: ks
    endpoint: mysql://store:pw@tcp(my.example:3306)/ks
    namespace: { namespace: kube-system, kinds: [pods, configmaps] }
  - name: rbac
    endpoint: postgres://store:pw@db.example/rbac
    regexp: { prefix: "(clusterroles|roles)/" }
`;

/** BASE with `field` written under the endpoint that ends in `database`. */
function under(database: string, field: string): string {
  return BASE.replace(`${database}\n`, `${database}\n    ${field}\n`);
}

function fingerprint(text: string): RoutingFingerprint {
  return routingFingerprint(parseTopology(text, where), databaseIdentity);
}

function digest(text: string): string {
  return fingerprintDigest(encodeFingerprint(fingerprint(text)));
}

function differences(text: string): string[] {
  return routingDifferences(fingerprint(BASE), fingerprint(text), { was: 'the recorded topology', is: 'this one' });
}

describe('routingFingerprint', () => {
  it('writes each route as its backend, the keys the router sends it and its database', () => {
    expect(fingerprint(BASE).routes).toEqual([
      {
        backend: 'tenants',
        keys: 'prefix /registry/webshop.cnpaas.dev/tenants/',
        database: 'postgres://store@db.example:5432/tenants',
      },
      { backend: 'users', keys: 'prefix /registry/users/', database: 'postgres://store@db.example:5432/users' },
      {
        backend: 'ks',
        keys: 'namespace kube-system kinds configmaps,pods',
        database: 'mysql://store@tcp(my.example:3306)/ks',
      },
      {
        backend: 'rbac',
        keys: 'regexp (clusterroles|roles)/',
        database: 'postgres://store@db.example:5432/rbac',
      },
    ]);
  });

  it('changes with what decides where a key lives, and says which backend differs and how', () => {
    const cases: Array<[string, string, string]> = [
      [
        'a prefix',
        BASE.replace('prefix: users/', 'prefix: people/'),
        'backend "users" claims prefix /registry/people/',
      ],
      ['a kind', BASE.replace('kind: tenants', 'kind: tenantz'), 'backend "tenants" claims prefix'],
      ['a namespace kind', BASE.replace('kinds: [pods, configmaps]', 'kinds: [pods]'), 'kinds pods in this one'],
      ['a regexp', BASE.replace('(clusterroles|roles)/', 'roles/'), 'backend "rbac" claims regexp roles/ in this one'],
      ['a database', BASE.replace('db.example/users', 'db.example/users2'), 'backend "users" is postgres://'],
      ['a host', BASE.replace('db.example/users', 'db2.example/users'), 'db2.example:5432/users in this one'],
      ['a port', BASE.replace('db.example/users', 'db.example:5433/users'), ':5433/users in this one'],
      ['a user', BASE.replace('store:pw@db.example/users', 'other:pw@db.example/users'), 'postgres://other@'],
      ['a scheme', BASE.replace('mysql://store:pw@tcp(my.example:3306)/ks', 'postgres://store@my.example/ks'), '"ks"'],
      ['a name', BASE.replace('name: users', 'name: people'), 'backend "users" (prefix /registry/users/ → '],
      [
        'a backend added',
        `${BASE}  - { name: extra, endpoint: "postgres://store@db.example/extra", prefix: { prefix: x/ } }\n`,
        'backend "extra" (prefix /registry/x/ → postgres://store@db.example:5432/extra) is in this one and not in the recorded topology',
      ],
    ];
    for (const [what, text, named] of cases) {
      expect(digest(text), what).not.toBe(digest(BASE));
      expect(differences(text).join('; '), what).toContain(named);
    }
  });

  it('changes with the order of the routes, since the first match wins', () => {
    const swapped = `
backends:
  - { name: users, endpoint: "postgres://store:pw@db.example/users", prefix: { prefix: users/ } }
  - { name: tenants, endpoint: "postgres://store:pw@db.example/tenants", customresource: { group: webshop.cnpaas.dev, kind: tenants } }
  - { name: ks, endpoint: "mysql://store:pw@tcp(my.example:3306)/ks", namespace: { namespace: kube-system, kinds: [pods, configmaps] } }
  - { name: rbac, endpoint: "postgres://store:pw@db.example/rbac", regexp: { prefix: "(clusterroles|roles)/" } }
`;
    expect(digest(swapped)).not.toBe(digest(BASE));
    expect(differences(swapped)).toEqual([
      'the routes are tried in another order (the first match wins): users, tenants, ks, rbac in this one, tenants, users, ks, rbac in the recorded topology',
    ]);
  });

  it('does not change with what may differ per replica, nor with how a route or an endpoint is spelled', () => {
    const same: Array<[string, string]> = [
      ['the password', BASE.replaceAll(':pw@', ':another@')],
      [
        'a password file instead of the URL',
        BASE.replace(
          'postgres://store:pw@db.example/users\n',
          'postgres://store@db.example/users\n    passwordFile: /run/secrets/users\n',
        ),
      ],
      [
        'a password variable',
        BASE.replace(
          'mysql://store:pw@tcp(my.example:3306)/ks\n',
          'mysql://store@tcp(my.example:3306)/ks\n    passwordEnv: KS_PASSWORD\n',
        ),
      ],
      ['sslmode', BASE.replace('/tenants?sslmode=disable', '/tenants?sslmode=verify-full')],
      [
        'backendTLS files',
        under('db.example/rbac', 'backendTLS: { caFile: /etc/db/ca.crt, certFile: c.crt, keyFile: c.key }'),
      ],
      ['connectionPool', under('db.example/users', 'connectionPool: { maxOpen: 10, connectTimeout: 3s }')],
      ['an ignored HariKube field', under('db.example/rbac', 'compactInterval: 5m')],
      ['postgresql://', BASE.replace('postgres://store:pw@db.example/users', 'postgresql://store:pw@db.example/users')],
      ['the default port written out', BASE.replace('db.example/users', 'db.example:5432/users')],
      ['a host in capitals', BASE.replace('db.example/users', 'DB.Example/users')],
      [
        'a MySQL URL for the DSN',
        BASE.replace('mysql://store:pw@tcp(my.example:3306)/ks', 'mysql://store:pw@my.example/ks'),
      ],
      ['the group without its version', BASE.replace('webshop.cnpaas.dev/v1', 'webshop.cnpaas.dev')],
      [
        'a prefix for the customresource that claims the same keys',
        BASE.replace(
          'customresource: { group: webshop.cnpaas.dev/v1, kind: tenants }',
          'prefix: { prefix: webshop.cnpaas.dev/tenants/ }',
        ),
      ],
      ['an absolute prefix', BASE.replace('prefix: users/', 'prefix: /registry/users/')],
      ['the kinds in another order, one twice', BASE.replace('[pods, configmaps]', '[configmaps, pods, pods]')],
      [
        'a regexp key written out as its prefix',
        BASE.replace(
          'regexp: { prefix: "(clusterroles|roles)/" }',
          'regexp: { prefix: "x", key: "(clusterroles|roles)/" }',
        ),
      ],
      [
        'TopologyConfig documents',
        `apiVersion: platform.cnpaas.dev/v1
kind: TopologyConfig
spec:
  backends:
${BASE.split('\n')
  .slice(2, 8)
  .map((l) => `  ${l}`)
  .join('\n')}
---
apiVersion: harikube.info/v1
kind: TopologyConfig
spec:
  backends:
${BASE.split('\n')
  .slice(8)
  .map((l) => `  ${l}`)
  .join('\n')}
`,
      ],
    ];
    for (const [what, text] of same) {
      expect(digest(text), what).toBe(digest(BASE));
      expect(differences(text), what).toEqual([]);
    }
  });

  it('keeps one canonical text: replicas of other versions compare the same bytes', () => {
    // The digest is sha256sum of the text. Changing this text makes replicas of the old and the new version refuse each other: bump FORMAT then.
    const text = encodeFingerprint(
      fingerprint('backends: [{ name: a, endpoint: "postgres://u:pw@h/a", prefix: { prefix: "a/é" } }]'),
    );
    expect(text).toBe(
      '{"format":1,"routes":[{"backend":"a","keys":"prefix /registry/a/\\u00e9","database":"postgres://u@h:5432/a"}]}',
    );
    expect(fingerprintDigest(text)).toBe('90d8317d67320015cc32fedfaa87a58c2c7e57deffb6669831dac09bce321af1');
    expect(decodeFingerprint(text)).toEqual({
      routes: [{ backend: 'a', keys: 'prefix /registry/a/é', database: 'postgres://u@h:5432/a' }],
    });
  });

  it('reads no text of another form', () => {
    expect(decodeFingerprint('{"format":2,"routes":[]}')).toBeUndefined();
    expect(decodeFingerprint('{"format":1,"routes":[{"backend":"a"}]}')).toBeUndefined();
    expect(decodeFingerprint('not json')).toBeUndefined();
  });
});

describe('SharedTopology.checkReload', () => {
  const running = new SharedTopology({ fingerprint: fingerprint(BASE), file: where.file, replace: false });

  it('accepts a file that routes keys as before, whatever else changed', () => {
    expect(() => running.checkReload(fingerprint(BASE.replaceAll(':pw@', ':rotated@')), where.file)).not.toThrow();
  });

  it('refuses a file that routes keys differently, naming the backend and the procedure', () => {
    let err: unknown;
    try {
      running.checkReload(fingerprint(BASE.replace('db.example/users', 'db.example/users2')), where.file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    const e = err as StoreError;
    expect(e.code).toBe('CNPAAS_STORE_REPLICA_TOPOLOGY_MISMATCH');
    expect(e.message).toContain(
      'backend "users" is postgres://store@db.example:5432/users2 in /etc/cnpaas/topology.yaml now, postgres://store@db.example:5432/users in the topology every replica runs with',
    );
    expect(e.hint).toContain('--replace-topology');
    expect(`${e.message} ${e.hint}`).not.toContain('pw');
  });
});
