/**
 * The bodies of verifications and logins, decoded like a registration's
 * (JSON, or YAML) and checked strictly: the kind, the one or two string
 * fields, their lengths, nothing else. Errors name the field, never its
 * value (a password, a token).
 *
 *     { "apiVersion": "api.webshop.cnpaas.dev/v1", "kind": "Verification", "spec": { "token": "…" } }
 *     { "apiVersion": "api.webshop.cnpaas.dev/v1", "kind": "Login", "spec": { "email": "…", "password": "…" } }
 */
import { API_GROUP_VERSION, LOGINS, USER_LIMITS, VERIFICATIONS } from '@cnpaas/webshop-api';
import { MAX_TOKEN_LENGTH } from '@cnpaas/service-kit';
// The webhooks' password policy: a longer password was never accepted, so it cannot be right.
import { PASSWORD_MAX_LENGTH } from '@cnpaas/webhooks';
import { httpError, type StatusCause } from './status.js';

export interface VerificationBody {
  token: string;
}

export interface LoginBody {
  email: string;
  password: string;
}

function invalid(kind: string, causes: StatusCause[]) {
  return httpError('CNPAAS_API_INVALID', {
    code: 422,
    message: `${kind} is invalid: ${causes.map((c) => `${c.field ?? ''}: ${c.message}`).join('; ')}`,
    details: { kind, group: API_GROUP_VERSION.split('/')[0]!, causes },
  });
}

function spec(body: unknown, kind: string, fields: readonly string[]): Record<string, unknown> {
  const object = body as { apiVersion?: unknown; kind?: unknown; spec?: unknown } | null;
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    throw invalid(kind, [{ reason: 'FieldValueRequired', field: 'spec', message: 'the body must be an object' }]);
  const causes: StatusCause[] = [];
  if (object.kind !== undefined && object.kind !== kind)
    causes.push({ reason: 'FieldValueNotSupported', field: 'kind', message: `must be ${kind}` });
  if (object.apiVersion !== undefined && object.apiVersion !== API_GROUP_VERSION)
    causes.push({ reason: 'FieldValueNotSupported', field: 'apiVersion', message: `must be ${API_GROUP_VERSION}` });
  for (const key of Object.keys(object))
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key))
      causes.push({ reason: 'FieldValueInvalid', field: key, message: 'unknown field' });
  const s = object.spec as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec', message: 'required' });
    throw invalid(kind, causes);
  }
  for (const key of Object.keys(s))
    if (!fields.includes(key))
      causes.push({ reason: 'FieldValueInvalid', field: `spec.${key}`, message: 'unknown field' });
  if (causes.length > 0) throw invalid(kind, causes);
  return s;
}

function text(s: Record<string, unknown>, field: string, max: number, causes: StatusCause[]): string {
  const value = s[field];
  if (typeof value !== 'string' || value === '')
    causes.push({ reason: 'FieldValueRequired', field: `spec.${field}`, message: 'a non-empty string is required' });
  else if (value.length > max)
    causes.push({ reason: 'FieldValueTooLong', field: `spec.${field}`, message: `at most ${max} characters` });
  return typeof value === 'string' ? value : '';
}

export function toVerification(body: unknown): VerificationBody {
  const s = spec(body, VERIFICATIONS.kind, ['token']);
  const causes: StatusCause[] = [];
  const token = text(s, 'token', MAX_TOKEN_LENGTH, causes);
  if (causes.length > 0) throw invalid(VERIFICATIONS.kind, causes);
  return { token };
}

export function toLogin(body: unknown): LoginBody {
  const s = spec(body, LOGINS.kind, ['email', 'password']);
  const causes: StatusCause[] = [];
  const email = text(s, 'email', USER_LIMITS['spec.email'].maxLength, causes);
  const password = text(s, 'password', PASSWORD_MAX_LENGTH, causes);
  if (causes.length > 0) throw invalid(LOGINS.kind, causes);
  return { email, password };
}
