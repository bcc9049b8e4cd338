/**
 * Transient or permanent: the one question the delivery protocol asks of an
 * SMTP failure. nodemailer does not retry SMTP replies itself, so this decides whether we do.
 *
 * - nodemailer's own `permanent` field wins when set: true for 5xx except
 *   503, false for 4xx, 503 and unexpected 2xx/3xx replies.
 * - Without it but with a reply code, the same rule from the code.
 * - No reply at all (connection refused or reset, timeout, DNS, TLS, missing
 *   credentials): transient. A misconfigured function must not mark Emails
 *   failed for good; once the configuration is fixed, a replay sends them.
 */
export type FailureKind = 'transient' | 'permanent';

export interface SmtpErrorFields {
  code?: string | undefined;
  responseCode?: number | undefined;
  permanent?: boolean | undefined;
  command?: string | undefined;
}

export function classifySmtpError(err: unknown): FailureKind {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SmtpErrorFields;
  if (typeof e.permanent === 'boolean') return e.permanent ? 'permanent' : 'transient';
  if (typeof e.responseCode === 'number')
    return e.responseCode >= 500 && e.responseCode !== 503 ? 'permanent' : 'transient';
  return 'transient';
}
