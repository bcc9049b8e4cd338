/**
 * The shipped audit policy, read as kube-apiserver reads it (first matching
 * rule wins): every request that can carry a password or its hash is logged
 * at Metadata, whatever the verb; other writes keep their bodies. The live
 * proof (a real registration, the log's bytes searched) is
 * test/audit-log.live.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { auditArgs, auditPolicyFile } from './audit-log.js';
import { statePaths } from './state-dir.js';

interface GroupResources {
  group: string;
  resources?: string[];
}
interface Rule {
  level: string;
  verbs?: string[];
  resources?: GroupResources[];
  nonResourceURLs?: string[];
}

const policy = parse(readFileSync(auditPolicyFile(), 'utf8')) as {
  apiVersion: string;
  kind: string;
  omitStages: string[];
  rules: Rule[];
};

/** audit.k8s.io's matching for a resource request: verbs, then group and resource (`r/*` matches subresources). */
function levelOf(group: string, resource: string, verb: string): string {
  const rule = policy.rules.find((r) => {
    if (r.nonResourceURLs) return false;
    if (r.verbs && !r.verbs.includes(verb)) return false;
    if (!r.resources) return true;
    return r.resources.some(
      (g) =>
        g.group === group &&
        (!g.resources ||
          g.resources.some(
            (name) =>
              name === resource || name === '*' || (name.endsWith('/*') && resource.startsWith(name.slice(0, -1))),
          )),
    );
  });
  return rule?.level ?? 'None';
}

const WRITES = ['create', 'update', 'patch', 'delete'];

describe('the audit policy', () => {
  it('is an audit.k8s.io/v1 Policy with one event per request', () => {
    expect(policy).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'] });
  });

  it.each([
    ['api.webshop.cnpaas.dev', 'registrations'],
    ['webshop.cnpaas.dev', 'registrationrequests'],
    ['webshop.cnpaas.dev', 'registrationrequests/status'],
    ['webshop.cnpaas.dev', 'users'],
    ['webshop.cnpaas.dev', 'users/status'],
    ['', 'secrets'],
    ['', 'serviceaccounts/token'],
    ['authentication.k8s.io', 'tokenreviews'],
  ])('never logs a body of %s %s', (group, resource) => {
    for (const verb of [...WRITES, 'get', 'list', 'watch'])
      expect(levelOf(group, resource, verb), `${verb} ${resource}`).toBe('Metadata');
  });

  it('logs other writes with their bodies, reads without', () => {
    for (const verb of WRITES) expect(levelOf('webshop.cnpaas.dev', 'tenants', verb)).toBe('RequestResponse');
    expect(levelOf('webshop.cnpaas.dev', 'emails', 'create')).toBe('RequestResponse');
    expect(levelOf('', 'namespaces', 'delete')).toBe('RequestResponse');
    expect(levelOf('', 'configmaps', 'list')).toBe('Metadata');
    expect(levelOf('coordination.k8s.io', 'leases', 'update')).toBe('None');
  });

  it('goes to <state-dir>/logs/audit.log with the shipped policy, rotated', () => {
    const paths = statePaths('/tmp/cnpaas-audit-test');
    expect(auditArgs(paths)).toEqual([
      `--audit-policy-file=${auditPolicyFile()}`,
      `--audit-log-path=${path.join(paths.logs, 'audit.log')}`,
      '--audit-log-format=json',
      '--audit-log-maxsize=50',
      '--audit-log-maxbackup=3',
    ]);
  });
});
