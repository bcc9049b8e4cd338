import { describe, expect, it } from 'vitest';
import { repairRules, repairSubjects } from './user-controller.js';
import type { Role, RoleBinding } from './types.js';

// What the operator writes, keys in its own order…
const labels = { 'webshop.cnpaas.dev/user-uid': 'u-1', 'app.kubernetes.io/managed-by': 'cnpaas-operator' };
const role: Role = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'u', namespace: 't', labels },
  rules: [{ apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], resourceNames: ['u'], verbs: ['get'] }],
};
// …and what the apiserver answers: labels sorted, rule fields in the Go struct's order.
const served: Role = {
  ...role,
  metadata: {
    name: 'u',
    namespace: 't',
    resourceVersion: '7',
    labels: { 'app.kubernetes.io/managed-by': 'cnpaas-operator', 'webshop.cnpaas.dev/user-uid': 'u-1' },
  },
  rules: [{ verbs: ['get'], apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], resourceNames: ['u'] }],
};

describe('repairs of RBAC children', () => {
  it('leave an object alone that differs only in the order of its keys (no write on every reconcile)', () => {
    expect(repairRules(role)(served)).toBeUndefined();
    const binding: RoleBinding = {
      ...role,
      kind: 'RoleBinding',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'u' },
      subjects: [{ kind: 'ServiceAccount', name: 'u', namespace: 't' }],
    };
    expect(repairSubjects(binding)({ ...binding, metadata: served.metadata })).toBeUndefined();
  });

  it('put back rules, subjects and labels that really changed', () => {
    const widened = { ...served, rules: [{ ...served.rules![0]!, verbs: ['get', 'delete'] }] };
    expect(repairRules(role)(widened)?.rules).toEqual(role.rules);
    const relabelled = {
      ...served,
      metadata: { ...served.metadata, labels: { 'webshop.cnpaas.dev/user-uid': 'u-2' } },
    };
    expect(repairRules(role)(relabelled)?.metadata?.labels).toEqual(labels);
    const binding: RoleBinding = {
      ...role,
      kind: 'RoleBinding',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'u' },
      subjects: [{ kind: 'ServiceAccount', name: 'u', namespace: 't' }],
    };
    const rebound: RoleBinding = {
      ...binding,
      subjects: [{ kind: 'ServiceAccount', name: 'intruder', namespace: 't' }],
    };
    expect(repairSubjects(binding)(rebound)?.subjects).toEqual(binding.subjects);
  });
});
