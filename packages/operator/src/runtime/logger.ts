/**
 * The runtime's pino logger. Every component takes a `log` option; without
 * one it gets a child of this default. Passwords never reach a log line:
 * the registration flow carries password hashes in specs, so `redact` covers
 * every `password` field at the depths our objects nest it (DESIGN.md,
 * "Defence in depth").
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'passwordHash',
  '*.passwordHash',
  '*.*.passwordHash',
  '*.*.*.passwordHash',
];

export interface LoggerOptions {
  /** pino level; default $LOG_LEVEL or 'info'. */
  level?: string;
  /** Value of the `component` field on every line. Default 'cnpaas-operator'. */
  component?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { component: options.component ?? 'cnpaas-operator' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}

let fallback: Logger | undefined;

/** The logger components use when none is passed: created on first use. */
export function defaultLogger(): Logger {
  fallback ??= createLogger();
  return fallback;
}
