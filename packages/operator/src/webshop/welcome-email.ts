/**
 * The welcome Email of a registration, rendered from an EmailTemplate.
 *
 * The template sees only what a welcome mail needs: the User's name,
 * namespace and spec, the Tenant's spec, and `{{ .verificationUrl }}`,
 * which stays a placeholder until the email function sends the mail. Never the User's annotations:
 * one of them carries the password hash, and a template must not be able to
 * mail it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { withControllerRef } from '@cnpaas/kube';
import { EMAIL_LIMITS, VERIFICATION_URL_PLACEHOLDER } from '@cnpaas/webshop-api';
import { OperatorError } from '../errors.js';
import { childLabels } from './children.js';
import { WEBSHOP_API_VERSION } from './names.js';
import { MAX_TEMPLATE_BYTES, placeholderPaths, renderTemplate } from './template.js';
import type { BodyFormat, Email, EmailTemplate, EmailTemplateSpec, TenantSpec, UserSpec } from './types.js';

/** What the Email CRD lets spec.body hold (its maxLength); a longer rendering could never be created. */
export const MAX_EMAIL_BODY_CHARS: number = EMAIL_LIMITS['spec.body'].maxLength;

/**
 * HTML or plain text: decided here, once, from the template (its author's
 * text, never a registrant's), and written into the Email's spec.format.
 * The email function sends what spec.format says and never looks at the
 * body, so a value that starts with '<' cannot turn a text mail into
 * unescaped HTML. An explicit spec.format wins; without one a body starting
 * with '<' is HTML, as in the original demo.
 */
export function bodyFormat(spec: Pick<EmailTemplateSpec, 'body' | 'format'>): BodyFormat {
  return spec.format ?? (spec.body.trimStart().startsWith('<') ? 'html' : 'text');
}

export interface WelcomeEmailInput {
  template: EmailTemplate;
  /** The User as read from the API (it becomes the Email's owner). */
  user: KubernetesObject & { spec?: UserSpec };
  tenant: TenantSpec;
  emailName: string;
  registrationUid: string;
}

/** The data placeholders resolve against; optional fields are '' so templates may use them. */
export function templateData(
  user: KubernetesObject & { spec?: UserSpec },
  tenant: TenantSpec,
): Record<string, unknown> {
  const spec = user.spec;
  return {
    metadata: { name: user.metadata?.name ?? '', namespace: user.metadata?.namespace ?? '' },
    spec: {
      firstName: spec?.firstName ?? '',
      lastName: spec?.lastName ?? '',
      email: spec?.email ?? '',
      phoneNumber: spec?.phoneNumber ?? '',
    },
    tenant: {
      companyName: tenant.companyName ?? '',
      country: tenant.country,
      city: tenant.city,
      address: tenant.address,
      postalCode: tenant.postalCode,
      taxNumber: tenant.taxNumber ?? '',
    },
    // Rendered as itself: the email function puts a freshly signed link there when it sends, so the
    // token is in the mail only, never in the Email object (docs/design.md "Verification and sign-in").
    verificationUrl: VERIFICATION_URL_PLACEHOLDER,
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
      labels: childLabels(input.registrationUid),
    },
    spec: {
      toAddress: user.spec?.email ?? '',
      fromName: spec.fromName,
      fromAddress: spec.fromAddress,
      subject: renderPart(template, 'subject', data),
      body: renderBody(template, data),
      format: bodyFormat(spec),
    },
  };
  // Deleting the User deletes its welcome Email (the garbage collector follows this reference).
  return withControllerRef(email, user);
}

export type TemplateCheck =
  { ok: true; format: BodyFormat } | { ok: false; reason: 'TooLarge' | 'RenderFailed'; problems: string[] };

/**
 * Whether `template` renders, and if not why, one message per field.
 * The sample has every placeholder a real registration offers, so whatever
 * renders here renders for every registration. A field over
 * MAX_TEMPLATE_BYTES is TooLarge and not rendered at all.
 */
export function checkTemplate(template: EmailTemplate): TemplateCheck {
  const spec = template.spec;
  if (!spec?.subject || !spec.body)
    return { ok: false, reason: 'RenderFailed', problems: ['spec.subject and spec.body are required'] };
  const oversized = (['subject', 'body'] as const)
    .map((part) => ({ part, bytes: Buffer.byteLength(spec[part], 'utf8') }))
    .filter((p) => p.bytes > MAX_TEMPLATE_BYTES)
    .map(
      (p) =>
        `spec.${p.part} is ${p.bytes} bytes, more than the ${MAX_TEMPLATE_BYTES} bytes (${MAX_TEMPLATE_BYTES / 1024} KiB) a template may have; shorten it`,
    );
  if (oversized.length > 0) return { ok: false, reason: 'TooLarge', problems: oversized };
  const problems: string[] = [];
  for (const render of [() => renderPart(template, 'subject', SAMPLE_DATA), () => renderBody(template, SAMPLE_DATA)]) {
    try {
      render();
    } catch (err) {
      if (!(err instanceof OperatorError) || err.code !== 'CNPAAS_OPERATOR_TEMPLATE') throw err;
      problems.push(err.message);
    }
  }
  return problems.length === 0
    ? { ok: true, format: bodyFormat(spec) }
    : { ok: false, reason: 'RenderFailed', problems };
}

const SAMPLE_DATA = templateData(
  {
    metadata: { name: 't-0123456789ab', namespace: 't-0123456789ab' },
    spec: { firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com', phoneNumber: '+4930123456' },
  },
  {
    companyName: 'Lee & Co',
    country: 'DE',
    city: 'Berlin',
    address: 'Hauptstr. 1',
    postalCode: '10115',
    taxNumber: 'DE123456789',
  },
);

/** Every placeholder a template may use, e.g. ".spec.firstName". */
export const TEMPLATE_PLACEHOLDERS: readonly string[] = placeholderPaths(SAMPLE_DATA);

function renderPart(template: EmailTemplate, part: 'subject' | 'body', data: Record<string, unknown>): string {
  const spec = template.spec as EmailTemplateSpec;
  const where = `EmailTemplate ${template.metadata?.namespace ?? ''}/${template.metadata?.name ?? ''} spec.${part}`;
  // Values are escaped exactly when the Email will say html (bodyFormat); a subject is never HTML.
  const escape = part === 'body' && bodyFormat(spec) === 'html' ? 'html' : 'none';
  return renderTemplate({ template: spec[part], data, escape, source: where });
}

function renderBody(template: EmailTemplate, data: Record<string, unknown>): string {
  const body = renderPart(template, 'body', data);
  if (body.length > MAX_EMAIL_BODY_CHARS) {
    throw new OperatorError(
      'CNPAAS_OPERATOR_TEMPLATE',
      `EmailTemplate ${template.metadata?.namespace ?? ''}/${template.metadata?.name ?? ''} spec.body renders to ${body.length} characters, more than the ${MAX_EMAIL_BODY_CHARS} an Email body may hold`,
      { hint: 'use fewer placeholders or a shorter body' },
    );
  }
  return body;
}
