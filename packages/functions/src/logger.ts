/**
 * The package's pino logger (the function and the SMTP sink). Emails carry
 * personal data and the SMTP settings carry a password, so:
 * - nothing here ever logs a request body, a message body or a raw message;
 *   addresses are logged masked (`maskAddress`), never whole;
 * - `redact` still covers every path a body, a password or an SMTP auth
 *   object can take, should anyone log one by mistake.
 */
import { BASE_REDACT_PATHS, loggerFactory, redactAtDepths } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

/** Besides the kit's (passwords, bodies, Authorization): SMTP auth objects, message parts, a trigger's body template. */
export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  ...redactAtDepths('pass', 3),
  ...redactAtDepths('auth', 2),
  '*.*.body',
  ...['spec.body', 'text', 'html', 'raw'].flatMap((path) => redactAtDepths(path, 2)),
];

/** `component` defaults to cnpaas-email-function; the SMTP sink and the trigger pass their own. */
export const createLogger = loggerFactory({ component: 'cnpaas-email-function', redact: REDACT_PATHS });

/**
 * `ada.lovelace@example.com` → `a***@example.com`: enough to tell two
 * recipients apart in a log, not enough to harvest addresses from it.
 */
export function maskAddress(address: string | undefined): string {
  if (!address) return '';
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}
