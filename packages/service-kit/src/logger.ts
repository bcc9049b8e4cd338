/**
 * pino, set up the same way in every process: JSON lines with a `component`
 * field, the level from LOG_LEVEL unless given, and `redact` over every
 * path a secret can take. No server logs a request body or a password in
 * the first place; redaction is the second line of defence (docs/design.md
 * "The registration flow", step 3), should anyone log one by mistake.
 *
 * Lines go to stdout synchronously. pino's default writes in the background,
 * and a process that exits right after logging (runUntilStopped's
 * "stopped", the lines before a crash) lost or reordered its last lines;
 * `flush(cb)` does not wait for a write already under way. Node writes its
 * own stdout synchronously to files and pipes as well, and these processes
 * log a few lines per request.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { DestinationStream, Logger } from 'pino';

/** `path` itself and under 1 … `depth - 1` levels of any objects: `*.path`, `*.*.path`, … (pino's redact paths). */
export function redactAtDepths(path: string, depth: number): string[] {
  return Array.from({ length: depth }, (_, level) => `${'*.'.repeat(level)}${path}`);
}

/** What every process redacts: a password at the depths our objects nest it, whole bodies, and an Authorization header. */
export const BASE_REDACT_PATHS = [
  ...redactAtDepths('password', 6),
  // A request, response or message body has no business in a log line.
  'body',
  '*.body',
  'req.headers.authorization',
];

export interface ServiceLoggerOptions {
  /** The `component` field on every line, e.g. cnpaas-webhooks. */
  component: string;
  /** Default: $LOG_LEVEL, else info. */
  level?: string | undefined;
  /** Paths the package redacts besides BASE_REDACT_PATHS. */
  redact?: readonly string[];
  /** Default stdout, written synchronously. Tests pass a stream to read the lines back. */
  destination?: DestinationStream | undefined;
}

/** The options of a package's own `createLogger`. */
export type LoggerOptions = Partial<Pick<ServiceLoggerOptions, 'component' | 'level' | 'destination'>>;

/** A package's `createLogger`: its component name (the default) and its redaction paths built in. */
export function loggerFactory(defaults: {
  component: string;
  redact: readonly string[];
}): (options?: LoggerOptions) => Logger {
  return (options = {}) =>
    createServiceLogger({ ...options, component: options.component ?? defaults.component, redact: defaults.redact });
}

export function createServiceLogger(options: ServiceLoggerOptions): Logger {
  const config = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { component: options.component },
    redact: { paths: [...new Set([...BASE_REDACT_PATHS, ...(options.redact ?? [])])], censor: '[redacted]' },
  };
  return pino(config, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
