/**
 * The shapes of the webshop objects as the operator reads them
 * (manifests/crds/ is the authority; the original demo's CRDs the origin).
 * Objects from the API are only as good as the CRD's validation, so code
 * that depends on a field being present checks it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition } from '@cnpaas/kube';

export interface UserSpec {
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber?: string;
}

export interface TenantSpec {
  companyName?: string;
  country: string;
  city: string;
  address: string;
  postalCode: string;
  taxNumber?: string;
}

export interface RegistrationRequestSpec {
  user: UserSpec;
  /** A hash ($scrypt$ or $argon2id$) once stored: the CRD's CEL rule refuses anything else. Plain text only inside admission, before the mutating webhook hashes it. */
  password: string;
  tenant: TenantSpec;
}

export interface RegistrationRequestStatus {
  tenant?: string;
  namespace?: string;
  user?: string;
  email?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export type RegistrationRequest = KubernetesObject & {
  spec?: RegistrationRequestSpec;
  status?: RegistrationRequestStatus;
};

export interface TenantStatus {
  namespace?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export type Tenant = KubernetesObject & { spec?: TenantSpec; status?: TenantStatus };

export interface UserStatus {
  phase?: 'Pending' | 'Validated';
  passwordRef?: { name: string };
  observedGeneration?: number;
  conditions?: Condition[];
}

export type User = KubernetesObject & { spec?: UserSpec; status?: UserStatus };

export interface EmailSpec {
  toAddress: string;
  fromName: string;
  fromAddress: string;
  subject: string;
  body?: string;
  /** How the email function sends body: as HTML or as plain text. Set by whoever rendered it; absent means text. */
  format?: BodyFormat;
}

/** Written by the email function (packages/functions), never by the operator. */
export type Email = KubernetesObject & { spec?: EmailSpec; status?: Record<string, unknown> };

export interface EmailTemplateSpec {
  displayName: string;
  description?: string;
  fromName: string;
  fromAddress: string;
  /** May contain placeholders, like the body. */
  subject: string;
  body: string;
  /** html or text; absent: html when the body starts with '<' (the original demo's rule), else text. */
  format?: BodyFormat;
}

/** Whether an Email body is HTML (placeholder values HTML-escaped into it) or plain text (values verbatim). */
export type BodyFormat = 'text' | 'html';

/** Written by the template controller: Valid says whether subject and body render. */
export interface EmailTemplateStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export type EmailTemplate = KubernetesObject & { spec?: EmailTemplateSpec; status?: EmailTemplateStatus };

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
