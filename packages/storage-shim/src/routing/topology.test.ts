import { describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { StoreError } from '../errors.js';
import { parseTopology } from './topology.js';

const where = { file: '/etc/cnpaas/topology.yaml', dataDir: '/var/lib/cnpaas' };

const error = (text: string): StoreError => thrownBy(StoreError, () => parseTopology(text, where));

/** A topology of one SQLite backend, a.db, named `name`, with `fields` besides its name and endpoint. */
function oneBackend(fields: string, name = 'x'): string {
  return `backends: [{ name: ${name}, endpoint: "sqlite://a.db"${fields ? `, ${fields}` : ''} }]`;
}

describe('parseTopology', () => {
  it('reads HariKube files: group with version, query strings, relative and absolute paths', () => {
    const t = parseTopology(
      `
backends:
  - name: tenants
    endpoint: sqlite://db/tenants.db?_journal=WAL&cache=shared
    customresource: { group: webshop.cnpaas.dev/v1, kind: tenants }
  - name: kube-system
    endpoint: sqlite:///abs/ks.db
    namespace: { namespace: kube-system, kinds: [pods] }
`,
      where,
    );
    expect(t.backends.map((b) => [b.name, b.scheme, b.location])).toEqual([
      ['tenants', 'sqlite', '/var/lib/cnpaas/db/tenants.db'],
      ['kube-system', 'sqlite', '/abs/ks.db'],
    ]);
    expect(t.backends[0]!.matcher).toEqual({ type: 'customresource', group: 'webshop.cnpaas.dev', kind: 'tenants' });
    expect(t.warnings.join('\n')).toContain('query "?_journal=WAL&cache=shared" is ignored');
  });

  it('names a duplicate PostgreSQL endpoint without its password', () => {
    const pg = 'postgres://u:hunter2@db/t';
    const err = error(
      `backends: [{ name: x, endpoint: "${pg}", prefix: { prefix: a } }, { name: y, endpoint: "${pg}", prefix: { prefix: b } }]`,
    );
    expect(err.message).toContain('backends[1].endpoint postgres://u:***@db/t is already used by x');
    expect(`${err.message} ${err.hint}`).not.toContain('hunter2');
  });

  it('takes a bare path as a SQLite file, like sqlite://', () => {
    const t = parseTopology('backends: [{ name: x, endpoint: "db/x.db", prefix: { prefix: x } }]', where);
    expect(t.backends[0]).toMatchObject({ scheme: 'sqlite', location: '/var/lib/cnpaas/db/x.db', endpoint: 'db/x.db' });
  });

  it('merges several TopologyConfig documents in order', () => {
    const doc = (name: string, api = 'platform.cnpaas.dev/v1') => `apiVersion: ${api}
kind: TopologyConfig
metadata: { name: ${name} }
spec:
  backends:
    - { name: ${name}, endpoint: "sqlite://${name}.db", prefix: { prefix: ${name} } }
`;
    const t = parseTopology(`${doc('users')}---\n${doc('emails', 'harikube.info/v1')}`, where);
    expect(t.backends.map((b) => b.name)).toEqual(['users', 'emails']);
  });

  it.each([
    [
      'an unknown scheme',
      'backends: [{ name: x, endpoint: "sqlserver://sa@h/db", prefix: { prefix: x } }]',
      'backends[0].endpoint scheme "sqlserver" is not supported (supported: sqlite, postgres, postgresql, mysql)',
    ],
    [
      "the store's own file",
      'backends: [{ name: x, endpoint: "sqlite://meta.db", prefix: { prefix: x } }]',
      'backends[0].endpoint is already used by the store itself',
    ],
    [
      'a duplicate name',
      'backends: [{ name: x, endpoint: "sqlite://a.db", prefix: { prefix: a } }, { name: x, endpoint: "sqlite://b.db", prefix: { prefix: b } }]',
      'backends[1].name "x" is used twice',
    ],
    [
      'two backends on one file',
      'backends: [{ name: x, endpoint: "sqlite://a.db", prefix: { prefix: a } }, { name: y, endpoint: "sqlite://a.db", prefix: { prefix: b } }]',
      'backends[1].endpoint sqlite://a.db is already used by x',
    ],
    ['no matcher', oneBackend(''), 'backends[0] has no matcher'],
    ['two matchers', oneBackend('prefix: { prefix: a }, namespace: { namespace: n }'), 'has 2 matchers'],
    ['a missing group', oneBackend('customresource: { kind: k }'), 'backends[0].customresource.group is missing'],
    [
      'a bad regexp',
      oneBackend('regexp: { prefix: "(" }'),
      'backends[0].regexp.prefix is not a valid regular expression',
    ],
    ['an unknown field', oneBackend('prefix: { prefix: a }, colour: red'), 'backends[0].colour is not a known field'],
    ['the reserved name', oneBackend('prefix: { prefix: a }', 'main'), '"main" is reserved'],
    ['bad YAML', 'backends: [', 'is not valid YAML'],
    ['the wrong kind', 'apiVersion: v1\nkind: ConfigMap', 'has neither `backends` nor `kind: TopologyConfig`'],
    ['a bad name', oneBackend('prefix: { prefix: a }', '"Bad Name"'), 'is not a valid name'],
  ])('refuses %s, naming the file and the field', (_what, text, message) => {
    const err = error(text);
    expect(err.code).toBe('CNPAAS_STORE_BAD_TOPOLOGY');
    expect(err.message).toContain(where.file);
    expect(err.message).toContain(message);
    expect(err.hint).toBeTruthy();
  });
});
