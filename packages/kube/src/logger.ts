/**
 * The runtime's pino logger (@cnpaas/service-kit's). Every component takes a
 * `log` option; without one it gets a child of this default. Passwords never
 * reach a log line: specs may carry password hashes, so `redact` covers every
 * `password` and `passwordHash` field at the depths objects nest them, and
 * every `body` (docs/design.md "The registration flow", step 3, defence in
 * depth). The runtime itself logs keys, never object bodies.
 */
import { BASE_REDACT_PATHS, loggerFactory, redactAtDepths, type Logger } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

export const REDACT_PATHS = [...BASE_REDACT_PATHS, ...redactAtDepths('passwordHash', 4)];

/** `component` defaults to cnpaas-kube: a process passes its own name. */
export const createLogger = loggerFactory({ component: 'cnpaas-kube', redact: REDACT_PATHS });

let fallback: Logger | undefined;

/** The logger components use when none is passed: created on first use. */
export function defaultLogger(): Logger {
  fallback ??= createLogger();
  return fallback;
}
