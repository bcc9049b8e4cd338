/**
 * The webhooks' pino logger. Admission requests carry plain passwords on
 * their way to being hashed, so:
 * - no route ever logs a request body or a patch (server.ts logs ids,
 *   kinds, outcomes);
 * - `redact` still covers every path a password can take in the objects we
 *   handle, should anyone log one by mistake (docs/design.md "The registration flow", step 3).
 */
import { BASE_REDACT_PATHS, loggerFactory, redactAtDepths } from '@cnpaas/service-kit';

export type { Logger, LoggerOptions } from '@cnpaas/service-kit';

/** Besides the kit's: `spec.password` of a review's object and old object, wherever the review sits, and patches. */
export const REDACT_PATHS = [
  ...BASE_REDACT_PATHS,
  'spec.password',
  ...['', 'body.', 'req.body.'].flatMap((parent) =>
    ['object', 'oldObject'].map((object) => `${parent}request.${object}.spec.password`),
  ),
  // JSON patches carry the hash.
  ...redactAtDepths('patch', 2),
];

/** `component` defaults to cnpaas-webhooks. */
export const createLogger = loggerFactory({ component: 'cnpaas-webhooks', redact: REDACT_PATHS });
