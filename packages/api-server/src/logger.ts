/**
 * The api-server's pino logger. A registration body carries the person's
 * plain password (the mutating webhook hashes it later, inside
 * kube-apiserver), so:
 * - no code path logs a request body, a parsed object or a kube API answer
 *   that echoes one (server.ts logs ids, users, names, outcomes);
 * - `redact` still covers every path a password can take in the objects we
 *   handle, and whole bodies, should anyone log one by mistake (docs/design.md
 *   "The registration flow", step 3, defence in depth).
 */
import { BASE_REDACT_PATHS, loggerFactory } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

/** Besides the kit's: a registration's `spec.password` on its own and under every name the code holds one by. */
export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  ...['', 'object.', 'body.', 'req.body.', 'registration.'].map((parent) => `${parent}spec.password`),
];

/** `component` defaults to cnpaas-api-server. */
export const createLogger = loggerFactory({ component: 'cnpaas-api-server', redact: REDACT_PATHS });
