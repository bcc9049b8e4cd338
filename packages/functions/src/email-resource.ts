/**
 * The Email resource as the email function reads it. Its names, spec and
 * status types, status schema and field limits are the contract's
 * (@cnpaas/webshop-api, generated from the Email CRD), so the CRD declares
 * every status field the exactly-once protocol writes by construction: a
 * structural schema prunes undeclared status fields, which would silently
 * drop the claim.
 */
import type { ResourceRef } from '@cnpaas/kube';
import { EMAIL_LIMITS, EMAIL_RESOURCE, EMAIL_SCHEMA, type EmailSpec, type EmailStatus } from '@cnpaas/webshop-api';

export { WEBSHOP_GROUP, WEBSHOP_VERSION, type EmailSpec, type EmailStatus } from '@cnpaas/webshop-api';

export const EMAILS_RESOURCE: ResourceRef = {
  group: EMAIL_RESOURCE.group,
  version: EMAIL_RESOURCE.version,
  plural: EMAIL_RESOURCE.plural,
  kind: EMAIL_RESOURCE.kind,
  namespaced: EMAIL_RESOURCE.namespaced,
};

/** The one condition type the function keeps on an Email (the contract's), and its reasons. */
export { SENT_CONDITION } from '@cnpaas/webshop-api';
export type SentReason = 'Sending' | 'Accepted' | 'SendFailed' | 'Rejected' | 'Invalid';

export interface EmailMetadata {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  /** The welcome mail's controller is its User: whose address a verification link is for. */
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
}

export interface EmailObject {
  apiVersion?: string;
  kind?: string;
  metadata: EmailMetadata;
  spec: EmailSpec;
  status?: EmailStatus;
}

/** The Email CRD's status schema (its openAPIV3Schema `status`), from the contract. */
export const EMAIL_STATUS_SCHEMA = EMAIL_SCHEMA.properties.status;

/** The CRD's address pattern (the original demo's) and lengths. */
export const EMAIL_ADDRESS_PATTERN = new RegExp(EMAIL_LIMITS['spec.toAddress'].pattern);
const ADDRESS_MIN_LENGTH = EMAIL_LIMITS['spec.toAddress'].minLength;
const ADDRESS_MAX_LENGTH = EMAIL_LIMITS['spec.toAddress'].maxLength;
const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
/** CR, LF and other controls in a header value could forge headers; the CRD does not forbid them. */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern is for
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The CRD's maxLength for spec.body, counted here in bytes (never more lenient than the CRD's characters). */
export const MAX_BODY_BYTES = EMAIL_LIMITS['spec.body'].maxLength;

/**
 * Checks untrusted JSON against what a sendable Email needs. Returns the
 * problems as `field: reason` (never the values: they are personal data).
 */
export function checkEmailObject(value: unknown): { ok: true; email: EmailObject } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const meta = (typeof obj['metadata'] === 'object' && obj['metadata'] !== null ? obj['metadata'] : {}) as Record<
    string,
    unknown
  >;
  const spec = (typeof obj['spec'] === 'object' && obj['spec'] !== null ? obj['spec'] : undefined) as
    Record<string, unknown> | undefined;
  if (obj['kind'] !== undefined && obj['kind'] !== 'Email') problems.push('kind: must be Email');
  for (const field of ['name', 'namespace'] as const) {
    if (typeof meta[field] !== 'string' || meta[field] === '') problems.push(`metadata.${field}: required`);
  }
  if (typeof meta['uid'] !== 'string' || !UID_PATTERN.test(meta['uid']))
    problems.push('metadata.uid: required (the Message-ID derives from it)');
  if (!spec) problems.push('spec: required');
  else {
    for (const field of ['toAddress', 'fromAddress'] as const) {
      const v = spec[field];
      if (
        typeof v !== 'string' ||
        v.length < ADDRESS_MIN_LENGTH ||
        v.length > ADDRESS_MAX_LENGTH ||
        !EMAIL_ADDRESS_PATTERN.test(v)
      )
        problems.push(`spec.${field}: not an email address`);
    }
    for (const field of ['fromName', 'subject'] as const) {
      const v = spec[field];
      if (typeof v !== 'string' || v.trim() === '') problems.push(`spec.${field}: required`);
      else if (CONTROL.test(v)) problems.push(`spec.${field}: must not contain control characters`);
      else if (v.length > EMAIL_LIMITS[`spec.${field}`].maxLength)
        problems.push(`spec.${field}: longer than ${EMAIL_LIMITS[`spec.${field}`].maxLength} characters`);
    }
    const body = spec['body'];
    if (body !== undefined && typeof body !== 'string') problems.push('spec.body: must be a string');
    else if (typeof body === 'string' && Buffer.byteLength(body) > MAX_BODY_BYTES)
      problems.push(`spec.body: larger than ${MAX_BODY_BYTES} bytes`);
    const format = spec['format'];
    if (format !== undefined && format !== 'text' && format !== 'html')
      problems.push('spec.format: must be text or html');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, email: value as EmailObject };
}
