/**
 * The api-server's pino logger. A registration body carries the person's
 * plain password (the mutating webhook hashes it later, inside
 * kube-apiserver), so:
 * - no code path logs a request body, a parsed object or a kube API answer
 *   that echoes one (server.ts logs ids, users, names, outcomes);
 * - `redact` still covers every path a password can take in the objects we
 *   handle, should anyone log one by mistake (DESIGN.md "Defence in depth").
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  'spec.password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  '*.*.*.*.password',
  '*.*.*.*.*.password',
  'object.spec.password',
  'body.spec.password',
  'req.body.spec.password',
  'registration.spec.password',
  // Whole bodies: a request or response body has no business in a log line.
  'body',
  '*.body',
  'req.headers.authorization',
];

export interface LoggerOptions {
  /** pino level; default $LOG_LEVEL or 'info'. */
  level?: string;
  /** Value of the `component` field on every line. Default 'cnpaas-api-server'. */
  component?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { component: options.component ?? 'cnpaas-api-server' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
