/**
 * The shapes of the objects the operator reads and writes. The webshop
 * objects are the contract's (@cnpaas/webshop-api, generated from its CRDs,
 * re-exported here); the core kinds are only as much as the operator uses.
 * Objects from the API are only as good as the CRD's validation, so code
 * that depends on a field being present checks it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export type {
  RegistrationRequestSpec,
  RegistrationRequestStatus,
  RegistrationRequest,
  TenantSpec,
  TenantStatus,
  Tenant,
  UserSpec,
  UserStatus,
  User,
  EmailSpec,
  EmailStatus,
  Email,
  EmailTemplateSpec,
  EmailTemplateStatus,
  EmailTemplate,
  BodyFormat,
} from '@cnpaas/webshop-api';

export type Namespace = KubernetesObject & { status?: { phase?: string } };
export type Secret = KubernetesObject & { type?: string; data?: Record<string, string> };
export type ConfigMap = KubernetesObject & { data?: Record<string, string>; immutable?: boolean };

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export type Role = KubernetesObject & { rules?: PolicyRule[] };

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole';
  name: string;
}

export interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export type RoleBinding = KubernetesObject & { roleRef?: RoleRef; subjects?: Subject[] };
