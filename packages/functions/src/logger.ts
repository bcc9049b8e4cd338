/**
 * The package's pino logger (the function and the SMTP sink). Emails carry
 * personal data and the SMTP settings carry a password, so:
 * - nothing here ever logs a request body, a message body or a raw message;
 *   addresses are logged masked (`maskAddress`), never whole;
 * - `redact` still covers every path a body, a password or an SMTP auth
 *   object can take, should anyone log one by mistake.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'pass',
  '*.pass',
  '*.*.pass',
  'auth',
  '*.auth',
  'body',
  '*.body',
  '*.*.body',
  'spec.body',
  '*.spec.body',
  'text',
  '*.text',
  'html',
  '*.html',
  'raw',
  '*.raw',
  'req.headers.authorization',
];

export interface LoggerOptions {
  /** pino level; default $LOG_LEVEL or 'info'. */
  level?: string;
  /** Value of the `component` field on every line. */
  component?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { component: options.component ?? 'cnpaas-email-function' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

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
