/**
 * The Email resource (docs/design.md "Fixed names"; fields from the original
 * demo's Email under our group) and the status fields the exactly-once protocol
 * adds. The Email CRD must declare every field of `EMAIL_STATUS_SCHEMA`:
 * a structural schema prunes undeclared status fields, which would silently
 * drop the claim.
 */
import type { Condition, ResourceRef } from '@cnpaas/kube';

export const WEBSHOP_GROUP = 'webshop.cnpaas.dev';
export const WEBSHOP_VERSION = 'v1';

export const EMAILS_RESOURCE: ResourceRef = {
  group: WEBSHOP_GROUP,
  version: WEBSHOP_VERSION,
  plural: 'emails',
  kind: 'Email',
  namespaced: true,
};

export interface EmailSpec {
  toAddress: string;
  fromName: string;
  fromAddress: string;
  subject: string;
  body?: string;
  /** html or text (absent: text). Set by the operator from the EmailTemplate; the function never guesses from the body. */
  format?: 'text' | 'html';
}

/** The one condition type the function keeps on an Email, and its reasons. */
export const SENT_CONDITION = 'Sent';
export type SentReason = 'Sending' | 'Accepted' | 'SendFailed' | 'Rejected' | 'Invalid';

export interface EmailStatus {
  /** metadata.generation the last outcome (sent or error) applies to; a claim does not move it. */
  observedGeneration?: number;
  /** `Sent`: True once accepted; False while sending or after a failure, the reason says which. */
  conditions?: Condition[];
  /** RFC 3339. Set once the SMTP server accepted the message; never sent again after that. */
  sentTimestamp?: string;
  errorMessage?: string;
  errorTimestamp?: string;
  /** The error was a permanent SMTP refusal (5xx) or a malformed spec: replays of this generation do nothing. */
  errorPermanent?: boolean;
  /** Who is sending: the function instance that holds the claim. Cleared when a send fails transiently. */
  claimedBy?: string;
  /** RFC 3339; a claim older than the claim lease counts as abandoned by a crashed holder. */
  claimedTimestamp?: string;
  /** The Message-ID the mail carries (derived from metadata.uid), for matching with the mailbox. */
  messageId?: string;
}

export interface EmailMetadata {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
}

export interface EmailObject {
  apiVersion?: string;
  kind?: string;
  metadata: EmailMetadata;
  spec: EmailSpec;
  status?: EmailStatus;
}

const GENERATION_SCHEMA = { type: 'integer', format: 'int64', minimum: 0 } as const;

/** metav1.Condition as the webshop CRDs declare it. */
const CONDITIONS_SCHEMA = {
  type: 'array',
  maxItems: 32,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      type: {
        type: 'string',
        maxLength: 316,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      observedGeneration: GENERATION_SCHEMA,
      lastTransitionTime: { type: 'string', format: 'date-time' },
      reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
      message: { type: 'string', maxLength: 32768 },
    },
  },
} as const;

/** The status schema for the Email CRD's openAPIV3Schema (`status`), without the descriptions. */
export const EMAIL_STATUS_SCHEMA = {
  type: 'object',
  properties: {
    observedGeneration: GENERATION_SCHEMA,
    conditions: CONDITIONS_SCHEMA,
    sentTimestamp: { type: 'string', format: 'date-time' },
    errorMessage: { type: 'string' },
    errorTimestamp: { type: 'string', format: 'date-time' },
    errorPermanent: { type: 'boolean' },
    claimedBy: { type: 'string' },
    claimedTimestamp: { type: 'string', format: 'date-time' },
    messageId: { type: 'string' },
  },
} as const;

/** The CRD's address pattern (the original demo's). */
export const EMAIL_ADDRESS_PATTERN = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
/** CR, LF and other controls in a header value could forge headers; the CRD does not forbid them. */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern is for
const CONTROL = /[\u0000-\u001f\u007f]/;
export const MAX_BODY_BYTES = 256 * 1024;

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
      if (typeof v !== 'string' || v.length < 5 || v.length > 256 || !EMAIL_ADDRESS_PATTERN.test(v))
        problems.push(`spec.${field}: not an email address`);
    }
    for (const field of ['fromName', 'subject'] as const) {
      const v = spec[field];
      if (typeof v !== 'string' || v.trim() === '') problems.push(`spec.${field}: required`);
      else if (CONTROL.test(v)) problems.push(`spec.${field}: must not contain control characters`);
      else if (v.length > 998) problems.push(`spec.${field}: longer than 998 characters`);
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
