/**
 * The operator's own access to one tenant namespace. Its ClusterRole
 * (manifests/rbac.yaml) reaches no Secret, ServiceAccount or Role anywhere;
 * what it needs for a User's children comes from ClusterRole
 * `cnpaas-operator-tenant`, bound by RoleBinding `cnpaas-operator` in each
 * namespace the tenant controller made, and nowhere else. So a stolen
 * operator key reads no Secret outside tenant namespaces, and the binding
 * goes with its namespace.
 */
import { withControllerRef } from '@cnpaas/kube';
import { OPERATOR_NAME } from './names.js';
import type { RoleBinding, Tenant } from './types.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The ClusterRole bound in each tenant namespace (manifests/rbac.yaml; the operator holds `bind` on it alone). */
export const OPERATOR_TENANT_ROLE = 'cnpaas-operator-tenant';

/**
 * RoleBinding `cnpaas-operator` in the Tenant's namespace, controlled by the
 * Tenant and labelled like the namespace (the confinement policy admits only
 * labelled objects in labelled tenant namespaces).
 */
export function operatorAccessBinding(tenant: Tenant, labels: Record<string, string>): RoleBinding {
  const namespace = tenant.metadata?.name ?? '';
  return withControllerRef<RoleBinding>(
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name: OPERATOR_NAME, namespace, labels: { ...labels } },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OPERATOR_TENANT_ROLE },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: OPERATOR_NAME }],
    },
    tenant,
  );
}
