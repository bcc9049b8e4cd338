/**
 * The webshop names the webhooks use (docs/design.md "Fixed names") and the spec
 * shapes of the three CRDs they admit (the original demo's, under our
 * group). The shapes are what a *valid* object has; the handlers read the
 * untrusted JSON with checks and never trust these types blindly.
 */
import {
  REGISTRATION_REQUEST_RESOURCE,
  TENANT_RESOURCE,
  USER_RESOURCE,
  type RegistrationRequestSpec,
  type TenantSpec,
  type UserSpec,
} from '@cnpaas/webshop-api';
import type { AdmissionObject } from '@cnpaas/service-kit';

/** The contract's names (@cnpaas/webshop-api), re-exported for the package's own API. */
export { WEBSHOP_GROUP, WEBSHOP_VERSION, SYSTEM_NAMESPACE, REGISTRATION_UID_LABEL } from '@cnpaas/webshop-api';

/** The three kinds the webhooks admit, as the contract's generated resource constants name them. */
export const RESOURCES = {
  registrationRequests: REGISTRATION_REQUEST_RESOURCE,
  tenants: TENANT_RESOURCE,
  users: USER_RESOURCE,
} as const;

/**
 * The spec shapes are the contract's (generated from the CRDs in
 * @cnpaas/webshop-api). On admission, RegistrationRequestSpec.password is
 * still plain text; the mutating webhook replaces it by an `$argon2id$` hash
 * before the CRD's CEL rule (hashes only) sees it.
 */
export type { UserSpec, TenantSpec, RegistrationRequestSpec } from '@cnpaas/webshop-api';

export type RegistrationRequest = AdmissionObject & { spec?: RegistrationRequestSpec };
export type User = AdmissionObject & { spec?: UserSpec };
export type Tenant = AdmissionObject & { spec?: TenantSpec };
