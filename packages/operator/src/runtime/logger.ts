/**
 * The runtime's pino logger. Every component takes a `log` option; without
 * one it gets a child of this default. Passwords never reach a log line:
 * the registration flow carries password hashes in specs, so `redact` covers
 * every `password` and `passwordHash` field at the depths our objects nest
 * them, and every `body`, such as an Email's (docs/design.md "The registration
 * flow", step 3, defence in depth).
 */
import { BASE_REDACT_PATHS, loggerFactory, type Logger } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  'passwordHash',
  '*.passwordHash',
  '*.*.passwordHash',
  '*.*.*.passwordHash',
];

/** `component` defaults to cnpaas-operator. */
export const createLogger = loggerFactory({ component: 'cnpaas-operator', redact: REDACT_PATHS });

let fallback: Logger | undefined;

/** The logger components use when none is passed: created on first use. */
export function defaultLogger(): Logger {
  fallback ??= createLogger();
  return fallback;
}
