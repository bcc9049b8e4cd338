/**
 * The webshop names the webhooks use (docs/design.md "Fixed names") and the spec
 * shapes of the three CRDs they admit (the original demo's, under our
 * group). The shapes are what a *valid* object has; the handlers read the
 * untrusted JSON with checks and never trust these types blindly.
 */
import type { RegistrationRequestSpec, TenantSpec, UserSpec } from '@cnpaas/operator';
import type { AdmissionObject } from './admission-review.js';

export const WEBSHOP_GROUP = 'webshop.cnpaas.dev';
export const WEBSHOP_VERSION = 'v1';
export const SYSTEM_NAMESPACE = 'cnpaas-system';

/** Set by the operator on every child of a RegistrationRequest (Tenant, Namespace, User, Email). */
export const REGISTRATION_UID_LABEL = `${WEBSHOP_GROUP}/registration-uid`;

export const RESOURCES = {
  registrationRequests: { plural: 'registrationrequests', kind: 'RegistrationRequest', namespaced: false },
  tenants: { plural: 'tenants', kind: 'Tenant', namespaced: false },
  users: { plural: 'users', kind: 'User', namespaced: true },
} as const;

/**
 * The spec shapes are the operator's (one definition, @cnpaas/operator's
 * webshop types). On admission, RegistrationRequestSpec.password is still
 * plain text; the mutating webhook replaces it by a `$scrypt$` hash before
 * the CRD's CEL rule (hashes only) sees it.
 */
export type { UserSpec, TenantSpec, RegistrationRequestSpec } from '@cnpaas/operator';

export type RegistrationRequest = AdmissionObject & { spec?: RegistrationRequestSpec };
export type User = AdmissionObject & { spec?: UserSpec };
export type Tenant = AdmissionObject & { spec?: TenantSpec };
