/**
 * The webhooks' pino logger. Admission requests carry plain passwords on
 * their way to being hashed, so:
 * - no route ever logs a request body or a patch (server.ts logs ids,
 *   kinds, outcomes);
 * - `redact` still covers every path a password can take in the objects we
 *   handle, should anyone log one by mistake (docs/design.md "The registration flow", step 3).
 */
import { BASE_REDACT_PATHS, loggerFactory } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  'spec.password',
  'request.object.spec.password',
  'request.oldObject.spec.password',
  'body.request.object.spec.password',
  'body.request.oldObject.spec.password',
  'req.body.request.object.spec.password',
  'req.body.request.oldObject.spec.password',
  // JSON patches carry the hash.
  'patch',
  '*.patch',
];

/** `component` defaults to cnpaas-webhooks. */
export const createLogger = loggerFactory({ component: 'cnpaas-webhooks', redact: REDACT_PATHS });
