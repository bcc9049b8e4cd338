/**
 * The error registry of the operator package: the webshop operator's own
 * failures (its flags, kubeconfig and health server, the EmailTemplate, the
 * objects of the registration flow). The runtime it runs on raises its own
 * `CNPAAS_KUBE_*` codes and `TerminalError` (@cnpaas/kube's errors.ts).
 *
 * `OperatorError` is made from the table of codes below by
 * @cnpaas/service-kit's `defineErrors` (so are the code union and
 * docs/errors.md): a `ServiceError` with its `Symbol.for` brand (so
 * `instanceof` also holds across two copies of this package), `describe()`
 * and `hint`.
 */
import { defineErrors, ServiceError } from '@cnpaas/service-kit';

export class OperatorError extends defineErrors({
  package: 'operator',
  name: 'OperatorError',
  prefix: 'CNPAAS_OPERATOR_',
  base: ServiceError,
  codes: {
    CNPAAS_OPERATOR_BAD_FLAG: {
      meaning: 'A command-line flag or environment variable is missing or malformed.',
      fix: 'Run cnpaas-operator --help for the flags and their CNPAAS_OPERATOR_* variables, and correct the one named.',
    },
    CNPAAS_OPERATOR_KUBECONFIG: {
      meaning: 'The kubeconfig cannot be read or has no current cluster.',
      fix: "Pass --kubeconfig (or KUBECONFIG) with the operator's kubeconfig from cnpaas up, with current-context set.",
    },
    CNPAAS_OPERATOR_LISTEN: {
      meaning: 'The health/metrics server cannot listen on the requested address.',
      fix: 'Free the port, or pass another --listen-health HOST:PORT.',
    },
    CNPAAS_OPERATOR_TEMPLATE: {
      meaning: 'An EmailTemplate does not parse, or names a placeholder the data lacks.',
      fix: 'Fix the EmailTemplate as its Valid condition and events say (they list the placeholders available), and keep it and the rendered body within the size limits; registrations wait for it, then continue.',
    },
    CNPAAS_OPERATOR_BAD_OBJECT: {
      meaning: 'An object read from the API lacks something the flow needs (a UID, a spec).',
      fix: 'Pass objects as read from the API (the cache or a GET): only those carry a UID.',
    },
  },
}) {}
export type OperatorErrorCode = OperatorError['code'];
