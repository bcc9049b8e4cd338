/**
 * The error registry of the console package.
 *
 * `ConsoleError` carries a stable `CNPAAS_CONSOLE_*` code, a hint that says
 * what to do and, when it ends a request, the HTTP status to answer with
 * (500 when it names none): the kit's `HttpServiceError`, made from the
 * table of codes below (`defineErrors`), as are the code union and
 * docs/errors.md.
 * The browser gets `{ code, message, hint }`; a 5xx gets only the code and
 * a pointer to the log.
 */
import { defineErrors } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export class ConsoleError extends defineErrors({
  package: 'console',
  name: 'ConsoleError',
  prefix: 'CNPAAS_CONSOLE_',
  codes: {
    CNPAAS_CONSOLE_BAD_FLAG: {
      meaning: 'A command-line flag or environment variable is missing or malformed.',
      fix: 'Run cnpaas-console --help for the flags and their CNPAAS_CONSOLE_* variables, and correct the one named.',
    },
    CNPAAS_CONSOLE_KUBECONFIG: {
      meaning: 'No usable kubeconfig (file missing, no current cluster).',
      fix: "Pass --kubeconfig (or KUBECONFIG) with the console's own identity, with current-context set.",
    },
    CNPAAS_CONSOLE_LISTEN: {
      meaning: 'The console cannot listen on the requested address.',
      fix: 'Free the port, or pass another --port (CNPAAS_CONSOLE_PORT).',
    },
    CNPAAS_CONSOLE_TOKEN_REQUIRED: {
      meaning: 'The console was asked to listen on an address other than loopback without a bearer token.',
      fix: 'Pass --token (or CNPAAS_CONSOLE_TOKEN) with at least 16 characters, or keep --host 127.0.0.1.',
    },
    CNPAAS_CONSOLE_TOPOLOGY: {
      meaning: 'The topology file cannot be read or is not a valid TopologyConfig.',
      fix: "Pass --topology with the file the store runs with (`cnpaas status` names it; the webshop's alone is packages/webshop/topologies/demo.yaml).",
    },
    CNPAAS_CONSOLE_UNAUTHORIZED: {
      meaning: "A request to the console's API came without the bearer token it was started with.",
      fix: "Send Authorization: Bearer <token>, or enter the token in the console's sign-in prompt.",
    },
    CNPAAS_CONSOLE_HOST_NOT_ALLOWED: {
      meaning: 'A request named a host the console does not serve (a DNS-rebinding guard on loopback).',
      fix: 'Open the console as http://127.0.0.1:<port>/ or http://localhost:<port>/.',
    },
    CNPAAS_CONSOLE_BAD_NAME: {
      meaning: 'A name in the URL is not a valid Kubernetes name (DNS label or subdomain) or mail id.',
      fix: "Use a name as kubectl shows it: lower-case letters, digits and '-' (and '.' for a subdomain), at most 63 (253) characters, starting and ending with a letter or digit.",
    },
    CNPAAS_CONSOLE_BAD_BODY: {
      meaning:
        'The registration form sent something that is not a registration (not JSON, not an object, a field not a string).',
      fix: "Send the form's fields as a JSON object of strings: user, password and tenant.",
    },
    CNPAAS_CONSOLE_BODY_NOT_JSON: {
      meaning: 'A request body sent as JSON is not valid JSON.',
      fix: "Send the registration form's fields as one JSON object.",
    },
    CNPAAS_CONSOLE_NOT_FOUND: {
      meaning: 'The object or the mail asked for does not exist (any more).',
      fix: "Check the name; a registration's objects appear within seconds of its answer.",
    },
    CNPAAS_CONSOLE_OWN_PERMISSION: {
      meaning: "The console's own identity may not do what it needs (the ClusterRole cnpaas-console is not bound).",
      fix: 'Apply packages/console/manifests/rbac.yaml and check that --kubeconfig holds the cnpaas-console identity.',
    },
    CNPAAS_CONSOLE_KUBE_UNAVAILABLE: {
      meaning: 'The kube API (or the registrations API behind it) could not be reached or failed.',
      fix: 'Retry in a moment; if it persists, check that kube-apiserver and cnpaas-api-server are up (cnpaas status).',
    },
    CNPAAS_CONSOLE_MAIL: {
      meaning: 'The mail directory cannot be read.',
      fix: "Pass --mail-dir with the SMTP sink's directory (cnpaas up uses <state-dir>/mail), readable by the console.",
    },
    CNPAAS_CONSOLE_SIGNED_OUT: {
      meaning:
        "A signed-in view was asked for without the person's token (header X-User-Token), or with one kube-apiserver no longer accepts (sign-in tokens last 10 minutes), or one that is not a webshop User's ServiceAccount.",
      fix: "Sign in again on the console's Sign in page.",
    },
  },
}) {}
export type ConsoleErrorCode = ConsoleError['code'];
