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
 * labelled objects in labelled tenant namespaces). It binds `user`, the
 * operator's own user name as the apiserver knows it (a client certificate's
 * CN under cnpaas up, a ServiceAccount's name in a pod): the confinement
 * policy lets the operator bind itself, and only itself, by that name.
 */
export function operatorAccessBinding(options: {
  tenant: Tenant;
  labels: Record<string, string>;
  user: string;
}): RoleBinding {
  const { tenant, labels } = options;
  const namespace = tenant.metadata?.name ?? '';
  return withControllerRef<RoleBinding>(
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name: OPERATOR_NAME, namespace, labels: { ...labels } },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OPERATOR_TENANT_ROLE },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: options.user }],
    },
    tenant,
  );
}
