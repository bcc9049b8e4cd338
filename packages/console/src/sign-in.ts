/**
 * Verification and sign-in, the console's side: the bodies it accepts from
 * the browser, the Verification and Login it sends to the aggregated API
 * (as its own identity: the API server decides), and how each answer is put
 * to the person. The person's token travels in the `X-User-Token` header
 * (Authorization is the console's own access token, when it has one); the
 * browser holds it in sessionStorage, never in a cookie.
 */
import { API_GROUP_VERSION, LOGINS, VERIFICATIONS } from '@cnpaas/webshop-api';
import { ConsoleError } from './errors.js';

export const USER_TOKEN_HEADER = 'x-user-token';

/** What a verification attempt came to, for the verify page to say and explain. */
export type VerificationOutcome = 'verified' | 'used' | 'expired' | 'invalid' | 'gone' | 'unavailable';

function badBody(message: string): ConsoleError {
  return new ConsoleError('CNPAAS_CONSOLE_BAD_BODY', message, {
    httpStatus: 400,
    hint: 'send a JSON object of strings',
  });
}

function stringField(body: unknown, field: string, max: number): string {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value === '' || value.length > max)
    throw badBody(`${field} must be a non-empty string of at most ${max} characters`);
  return value;
}

export function toVerification(body: unknown): object {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: VERIFICATIONS.kind,
    spec: { token: stringField(body, 'token', 4096) },
  };
}

export function toLogin(body: unknown): object {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: LOGINS.kind,
    spec: { email: stringField(body, 'email', 256), password: stringField(body, 'password', 1024) },
  };
}

/** The API server's Status codes for a verification (verification-flow.ts there) as outcomes. */
export function verificationOutcome(status: number): VerificationOutcome {
  if (status === 200 || status === 201) return 'verified';
  if (status === 409) return 'used';
  if (status === 410) return 'expired';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 404) return 'gone';
  return 'unavailable';
}

/** `system:serviceaccount:<namespace>:<name>` → the User it belongs to (the operator names them alike). */
export function userOfServiceAccount(username: string | undefined): { namespace: string; name: string } {
  const match = /^system:serviceaccount:([a-z0-9-]+):([a-z0-9-]+)$/.exec(username ?? '');
  if (!match) {
    throw new ConsoleError('CNPAAS_CONSOLE_SIGNED_OUT', 'that token is not a webshop account', {
      httpStatus: 403,
      hint: 'sign in on the console',
    });
  }
  return { namespace: match[1]!, name: match[2]! };
}

export function userToken(headers: Record<string, string | string[] | undefined>): string {
  const value = headers[USER_TOKEN_HEADER];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConsoleError('CNPAAS_CONSOLE_SIGNED_OUT', 'you are not signed in', {
      httpStatus: 403,
      hint: 'sign in on the console',
    });
  }
  return value.trim();
}
