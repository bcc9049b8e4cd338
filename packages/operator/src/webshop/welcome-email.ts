/**
 * The welcome Email of a registration, rendered from an EmailTemplate.
 *
 * The template sees only what a welcome mail needs: the User's name,
 * namespace and spec, and the Tenant's spec. Never the User's annotations:
 * one of them carries the password hash, and a template must not be able to
 * mail it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { OperatorError } from '../errors.js';
import { withControllerRef } from '../runtime/owner-references.js';
import { MANAGED_BY_LABEL, OPERATOR_NAME, REGISTRATION_UID_LABEL, WEBSHOP_API_VERSION } from './names.js';
import { placeholderPaths, renderTemplate } from './template.js';
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
      subject: renderPart(template, 'subject', data),
      body: renderPart(template, 'body', data),
    },
  };
  // Deleting the User deletes its welcome Email (the garbage collector follows this reference).
  return withControllerRef(email, user);
}

/**
 * What is wrong with `template`, one message per field; empty when it renders.
 * The sample has every placeholder a real registration offers, so whatever
 * renders here renders for every registration.
 */
export function templateProblems(template: EmailTemplate): string[] {
  if (!template.spec?.subject || !template.spec.body) return ['spec.subject and spec.body are required'];
  const problems: string[] = [];
  for (const part of ['subject', 'body'] as const) {
    try {
      renderPart(template, part, SAMPLE_DATA);
    } catch (err) {
      if (!(err instanceof OperatorError) || err.code !== 'CNPAAS_OPERATOR_TEMPLATE') throw err;
      problems.push(err.message);
    }
  }
  return problems;
}

const SAMPLE_DATA = templateData(
  { metadata: { name: 't-0123456789ab', namespace: 't-0123456789ab' }, spec: { firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com', phoneNumber: '+4930123456' } },
  { companyName: 'Lee & Co', country: 'DE', city: 'Berlin', address: 'Hauptstr. 1', postalCode: '10115', taxNumber: 'DE123456789' },
);

/** Every placeholder a template may use, e.g. ".spec.firstName". */
export const TEMPLATE_PLACEHOLDERS: readonly string[] = placeholderPaths(SAMPLE_DATA);

function renderPart(template: EmailTemplate, part: 'subject' | 'body', data: Record<string, unknown>): string {
  const spec = template.spec as EmailTemplateSpec;
  const where = `EmailTemplate ${template.metadata?.namespace ?? ''}/${template.metadata?.name ?? ''} spec.${part}`;
  // The email function sends a body starting with '<' as HTML: values must not inject markup into it.
  const html = part === 'body' && spec.body.trimStart().startsWith('<');
  return renderTemplate({ template: spec[part], data, escape: html ? 'html' : 'none', source: where });
}
