/**
 * Every resource type the webshop controllers read or write, as the runtime
 * addresses them (no discovery). manifests/rbac.yaml grants exactly what the
 * controllers do with these.
 */
import type { ResourceRef } from '@cnpaas/kube';
import {
  EMAIL_RESOURCE,
  EMAIL_TEMPLATE_RESOURCE,
  REGISTRATION_REQUEST_RESOURCE,
  TENANT_RESOURCE,
  USER_RESOURCE,
} from '@cnpaas/webshop-api';

/** The webshop kinds, from the contract's generated constants (so from the CRDs). */
const webshop = (r: ResourceRef): ResourceRef => ({
  group: r.group,
  version: r.version,
  plural: r.plural,
  kind: r.kind,
  namespaced: r.namespaced,
});

export const REGISTRATION_REQUESTS = webshop(REGISTRATION_REQUEST_RESOURCE);
export const TENANTS = webshop(TENANT_RESOURCE);
export const USERS = webshop(USER_RESOURCE);
export const EMAILS = webshop(EMAIL_RESOURCE);
export const EMAIL_TEMPLATES = webshop(EMAIL_TEMPLATE_RESOURCE);

export const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
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
