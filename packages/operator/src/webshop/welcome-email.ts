/**
 * The welcome Email of a registration, rendered from an EmailTemplate.
 *
 * The template sees only what a welcome mail needs: the User's name,
 * namespace and spec, and the Tenant's spec. Never the User's annotations:
 * one of them carries the password hash, and a template must not be able to
 * mail it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { withControllerRef } from '../runtime/owner-references.js';
import { MANAGED_BY_LABEL, OPERATOR_NAME, REGISTRATION_UID_LABEL, WEBSHOP_API_VERSION } from './names.js';
import { renderTemplate } from './template.js';
import type { Email, EmailTemplate, EmailTemplateSpec, TenantSpec, UserSpec } from './types.js';

export interface WelcomeEmailInput {
  template: EmailTemplate;
  /** The User as read from the API (it becomes the Email's owner). */
  user: KubernetesObject & { spec?: UserSpec };
  tenant: TenantSpec;
  emailName: string;
  registrationUid: string;
}

/** The data placeholders resolve against; optional fields are '' so templates may use them. */
export function templateData(user: KubernetesObject & { spec?: UserSpec }, tenant: TenantSpec): Record<string, unknown> {
  const spec = user.spec;
  return {
    metadata: { name: user.metadata?.name ?? '', namespace: user.metadata?.namespace ?? '' },
    spec: { firstName: spec?.firstName ?? '', lastName: spec?.lastName ?? '', email: spec?.email ?? '', phoneNumber: spec?.phoneNumber ?? '' },
    tenant: {
      companyName: tenant.companyName ?? '',
      country: tenant.country,
      city: tenant.city,
      address: tenant.address,
      postalCode: tenant.postalCode,
      taxNumber: tenant.taxNumber ?? '',
    },
  };
}

/** Throws CNPAAS_OPERATOR_TEMPLATE when the template does not render. */
export function welcomeEmail(input: WelcomeEmailInput): Email {
  const { template, user } = input;
  const spec = template.spec as EmailTemplateSpec;
  const data = templateData(user, input.tenant);
  const where = `EmailTemplate ${template.metadata?.namespace ?? ''}/${template.metadata?.name ?? ''}`;
  // The email function sends a body starting with '<' as HTML: values must not inject markup into it.
  const html = spec.body.trimStart().startsWith('<');
  const email: Email = {
    apiVersion: WEBSHOP_API_VERSION,
    kind: 'Email',
    metadata: {
      name: input.emailName,
      namespace: user.metadata?.namespace,
      labels: { [REGISTRATION_UID_LABEL]: input.registrationUid, [MANAGED_BY_LABEL]: OPERATOR_NAME },
    },
    spec: {
      toAddress: user.spec?.email ?? '',
      fromName: spec.fromName,
      fromAddress: spec.fromAddress,
      subject: renderTemplate({ template: spec.subject, data, source: `${where} spec.subject` }),
      body: renderTemplate({ template: spec.body, data, escape: html ? 'html' : 'none', source: `${where} spec.body` }),
    },
  };
  // Deleting the User deletes its welcome Email (the garbage collector follows this reference).
  return withControllerRef(email, user);
}
