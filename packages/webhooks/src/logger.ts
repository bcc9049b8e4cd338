/**
 * The webhooks' pino logger. Admission requests carry plain passwords on
 * their way to being hashed, so:
 * - no route ever logs a request body or a patch (server.ts logs ids,
 *   kinds, outcomes);
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
  'request.object.spec.password',
  'request.oldObject.spec.password',
  'body.request.object.spec.password',
  'body.request.oldObject.spec.password',
  'req.body.request.object.spec.password',
  'req.body.request.oldObject.spec.password',
  // JSON patches carry the hash; bodies carry the plain text.
  'patch',
  '*.patch',
  'body',
  '*.body',
  'req.headers.authorization',
];

export interface LoggerOptions {
  /** pino level; default $LOG_LEVEL or 'info'. */
  level?: string;
  /** Value of the `component` field on every line. Default 'cnpaas-webhooks'. */
  component?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { component: options.component ?? 'cnpaas-webhooks' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
