/**
 * The error registry of the webshop's composition: what `cnpaas mail` (a
 * command the webshop adds to the CLI) can refuse. The class, the code union
 * and docs/errors.md come from the table (@cnpaas/service-kit's
 * `defineErrors`).
 */
import { defineErrors, ServiceError } from '@cnpaas/service-kit';

export class WebshopError extends defineErrors({
  package: 'webshop',
  name: 'WebshopError',
  prefix: 'CNPAAS_WEBSHOP_',
  base: ServiceError,
  codes: {
    CNPAAS_WEBSHOP_NO_SUCH_MAIL: {
      meaning: "cnpaas mail was given an id that names no message the demo's SMTP server received.",
      fix: 'Run cnpaas mail (no id) to list the ids, and pass one of them.',
    },
  },
}) {}
export type WebshopErrorCode = WebshopError['code'];
