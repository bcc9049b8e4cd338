/**
 * Every resource type the webshop controllers read or write, as the runtime
 * addresses them (no discovery). manifests/rbac.yaml grants exactly what the
 * controllers do with these.
 */
import type { ResourceRef } from '@cnpaas/kube';
import { WEBSHOP_GROUP, WEBSHOP_VERSION } from './names.js';

const webshop = (plural: string, kind: string, namespaced: boolean): ResourceRef => ({
  group: WEBSHOP_GROUP,
  version: WEBSHOP_VERSION,
  plural,
  kind,
  namespaced,
});

export const REGISTRATION_REQUESTS = webshop('registrationrequests', 'RegistrationRequest', false);
export const TENANTS = webshop('tenants', 'Tenant', false);
export const USERS = webshop('users', 'User', true);
export const EMAILS = webshop('emails', 'Email', true);
export const EMAIL_TEMPLATES = webshop('emailtemplates', 'EmailTemplate', true);

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
