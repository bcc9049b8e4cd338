/**
 * The sign-up form's contract with the server, both ways:
 *
 * - in: the form's fields (strings, named by their path under the
 *   RegistrationRequest's `spec`) become the RegistrationRequest the
 *   registrations API takes; empty optional fields are left out, so the
 *   webhooks' defaults apply (an empty company name becomes the person's
 *   name);
 * - out: a refusal (a Kubernetes `Status`) becomes messages per form field,
 *   from its causes' field paths (`spec.user.email` → `user.email`), in the
 *   words the server sent; what names no field of the form goes to the top.
 */
import { REGISTRATION_REQUEST_RESOURCE } from '@cnpaas/webshop-api';
import { ConsoleError } from './errors.js';

/** The form's fields, as paths under `spec`; the order is the form's. */
export const FORM_FIELDS = [
  'user.firstName',
  'user.lastName',
  'user.email',
  'user.phoneNumber',
  'password',
  'tenant.companyName',
  'tenant.country',
  'tenant.city',
  'tenant.address',
  'tenant.postalCode',
  'tenant.taxNumber',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

const OPTIONAL: ReadonlySet<FormField> = new Set(['user.phoneNumber', 'tenant.companyName', 'tenant.taxNumber']);
/** Longer than any field's own limit (the API answers those with its own message), short enough to stop abuse. */
const MAX_FIELD_LENGTH = 1024;

export interface RegistrationRequestBody {
  apiVersion: string;
  kind: string;
  spec: { user: Record<string, string>; password: string; tenant: Record<string, string> };
}

/**
 * The browser's `{ user: {...}, password, tenant: {...} }` as a
 * RegistrationRequest. Only the form's fields are taken; a missing required
 * one is sent empty so the API names it, as it would for kubectl.
 */
export function toRegistrationRequest(body: unknown): RegistrationRequestBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badBody('the body is not a JSON object');
  const spec = { user: {} as Record<string, string>, password: '', tenant: {} as Record<string, string> };
  for (const field of FORM_FIELDS) {
    const value = readPath(body, field);
    if (value !== undefined && typeof value !== 'string') throw badBody(`${field} is not a string`);
    if (value !== undefined && value.length > MAX_FIELD_LENGTH)
      throw badBody(`${field} is longer than ${MAX_FIELD_LENGTH} characters`);
    const text = value ?? '';
    if (text.trim() === '' && OPTIONAL.has(field)) continue;
    if (field === 'password') spec.password = text;
    else {
      const [group, key] = field.split('.') as ['user' | 'tenant', string];
      spec[group][key] = text;
    }
  }
  return { apiVersion: REGISTRATION_REQUEST_RESOURCE.apiVersion, kind: REGISTRATION_REQUEST_RESOURCE.kind, spec };
}

function readPath(body: object, field: string): unknown {
  let at: unknown = body;
  for (const part of field.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function badBody(reason: string): ConsoleError {
  return new ConsoleError('CNPAAS_CONSOLE_BAD_BODY', `not a registration: ${reason}`, {
    httpStatus: 400,
    hint: 'send the form fields as strings',
  });
}

/** A refusal as the form shows it. */
export interface Refusal {
  /** The HTTP status the registrations API answered. */
  code: number;
  /** The Status reason (Invalid, Conflict, TooManyRequests, …). */
  reason: string;
  /** Messages per form field, in the server's words. */
  fields: Partial<Record<FormField, string[]>>;
  /** Messages that concern no field of the form; shown at the top. */
  form: string[];
  /** Seconds to wait, from Retry-After or the Status (429). */
  retryAfterSeconds?: number;
}

interface StatusLike {
  message?: unknown;
  reason?: unknown;
  code?: unknown;
  details?: { causes?: unknown; retryAfterSeconds?: unknown };
}

/**
 * The form field a cause's path concerns: `spec.user.email`,
 * `.spec.user.email` and `spec.user.email[0]` all name `user.email`;
 * `spec.user` (a whole object) or `metadata.name` name none.
 */
export function formFieldOf(path: string): FormField | undefined {
  const normal = path
    .trim()
    .replace(/^\./, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/^spec\./, '');
  return (FORM_FIELDS as readonly string[]).includes(normal) ? (normal as FormField) : undefined;
}

/** A `Status` (or anything an error answer carried) as messages for the form. */
export function refusalFromStatus(code: number, body: unknown, retryAfterHeader?: string): Refusal {
  const status: StatusLike = body !== null && typeof body === 'object' ? body : {};
  const refusal: Refusal = {
    code,
    reason: typeof status.reason === 'string' ? status.reason : '',
    fields: {},
    form: [],
  };
  const message = typeof status.message === 'string' && status.message ? status.message : undefined;
  const causes = Array.isArray(status.details?.causes) ? (status.details.causes as unknown[]) : [];
  for (const raw of causes) {
    if (raw === null || typeof raw !== 'object') continue;
    const cause = raw as { field?: unknown; message?: unknown };
    const text = typeof cause.message === 'string' && cause.message ? cause.message : message;
    if (!text) continue;
    const field = typeof cause.field === 'string' ? formFieldOf(cause.field) : undefined;
    if (field) (refusal.fields[field] ??= []).push(text);
    else refusal.form.push(typeof cause.field === 'string' && cause.field ? `${cause.field}: ${text}` : text);
  }
  // Without causes for the form's fields the whole message goes on top, so nothing the server said is lost.
  if (Object.keys(refusal.fields).length === 0 && refusal.form.length === 0)
    refusal.form.push(message ?? `the registrations API answered HTTP ${code}`);
  const retry = Number(status.details?.retryAfterSeconds ?? retryAfterHeader);
  if (Number.isFinite(retry) && retry > 0) refusal.retryAfterSeconds = retry;
  return refusal;
}
