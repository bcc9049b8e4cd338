/**
 * Every resource type the webshop controllers read or write, as the runtime
 * addresses them (no discovery). manifests/rbac.yaml grants exactly what the
 * controllers do with these.
 */
import type { ResourceRef } from '@cnpaas/kube';
/** The webshop kinds and their Namespaces, from the contract (so from the CRDs). */
export { EMAIL_TEMPLATES, EMAILS, NAMESPACES, REGISTRATION_REQUESTS, TENANTS, USERS } from '@cnpaas/webshop-api';

export const SERVICE_ACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
};
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const CONFIG_MAPS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceRef => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
export const ROLES = rbac('roles', 'Role', true);
export const ROLE_BINDINGS = rbac('rolebindings', 'RoleBinding', true);
export const CLUSTER_ROLES = rbac('clusterroles', 'ClusterRole', false);
export const CLUSTER_ROLE_BINDINGS = rbac('clusterrolebindings', 'ClusterRoleBinding', false);
