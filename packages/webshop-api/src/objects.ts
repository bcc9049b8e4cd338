/**
 * The webshop objects as they come from the API: the generated spec and
 * status on a KubernetesObject. Both are optional because an object is only
 * as good as the CRD's validation (and a create in flight has no status);
 * code that depends on a field being present checks it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EmailSpec, EmailStatus } from './generated/emails.js';
import type { EmailTemplateSpec, EmailTemplateStatus } from './generated/emailtemplates.js';
import type { RegistrationRequestSpec, RegistrationRequestStatus } from './generated/registrationrequests.js';
import type { TenantSpec, TenantStatus } from './generated/tenants.js';
import type { UserSpec, UserStatus } from './generated/users.js';

export type RegistrationRequest = KubernetesObject & {
  spec?: RegistrationRequestSpec;
  status?: RegistrationRequestStatus;
};
export type Tenant = KubernetesObject & { spec?: TenantSpec; status?: TenantStatus };
export type User = KubernetesObject & { spec?: UserSpec; status?: UserStatus };
/** Its status is written by the email function (packages/functions), never by the operator. */
export type Email = KubernetesObject & { spec?: EmailSpec; status?: EmailStatus };
export type EmailTemplate = KubernetesObject & { spec?: EmailTemplateSpec; status?: EmailTemplateStatus };

/** Whether an Email body is HTML (placeholder values HTML-escaped into it) or plain text (values verbatim). */
export type BodyFormat = NonNullable<EmailSpec['format']>;
