/**
 * The console's pino logger. The sign-up form carries a plain password:
 * no code path logs a request body or an object, and `redact` still covers
 * every path a password can take, should anyone log one by mistake.
 */
import { BASE_REDACT_PATHS, loggerFactory } from '@cnpaas/service-kit';

export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  'password',
  'spec.password',
  'body.password',
  'body.spec.password',
  'req.body',
  'token',
];

/** `component` defaults to cnpaas-console. */
export const createLogger = loggerFactory({ component: 'cnpaas-console', redact: REDACT_PATHS });
