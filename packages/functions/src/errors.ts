/**
 * The error registry of the functions package.
 *
 * `FunctionsError` carries a stable `CNPAAS_FUNCTIONS_*` code, a hint that
 * says what to do, and, for errors that end an HTTP request before the
 * delivery protocol runs, the HTTP status to answer with.
 *
 * SMTP failures are not thrown as `FunctionsError` past the sender: the
 * sender wraps them in `SendError` (email/sender.ts), which says whether a
 * retry can help. That distinction drives the exactly-once protocol.
 *
 * The codes are one table (`defineErrors`, @cnpaas/service-kit): the class,
 * the code union and docs/errors.md come from it. `FunctionsError` is a
 * `ServiceError`: `describe()`, and an `instanceof` that holds across two
 * copies of this package. `errorMessage` is the kit's.
 */
import { defineErrors } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export class FunctionsError extends defineErrors({
  package: 'functions',
  name: 'FunctionsError',
  prefix: 'CNPAAS_FUNCTIONS_',
  codes: {
    CNPAAS_FUNCTIONS_BAD_FLAG: {
      meaning: 'A command-line flag or environment variable is missing or malformed.',
      fix: 'Run the program (cnpaas-email-function, cnpaas-trigger or cnpaas-smtp) with --help for its flags and their environment variables, and correct the one named.',
    },
    CNPAAS_FUNCTIONS_TLS: {
      meaning: 'A certificate or key file cannot be read, or TLS refuses it.',
      fix: 'Pass readable PEM files whose key belongs to the certificate (cnpaas up writes them under .cnpaas/pki); an SMTP sink that requires AUTH needs --cert-file and --key-file.',
    },
    CNPAAS_FUNCTIONS_LISTEN: {
      meaning: 'A server cannot listen on the requested address.',
      fix: 'Free the port, or pass another --listen (or --listen-health) HOST:PORT.',
    },
    CNPAAS_FUNCTIONS_KUBECONFIG: {
      meaning: 'No usable kubeconfig (file missing, no current cluster).',
      fix: "Pass --kubeconfig (or KUBECONFIG) with the program's kubeconfig from cnpaas up, with current-context set.",
    },
    CNPAAS_FUNCTIONS_SMTP_CONFIG: {
      meaning: 'The SMTP settings (env or mounted secret files) are missing or malformed.',
      fix: 'Correct the setting the message names: the files in $SMTP_SECRETS_DIR (smtp-host, smtp-port, …) or SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD(_FILE), SMTP_TLS, SMTP_CA_FILE.',
    },
    CNPAAS_FUNCTIONS_MAIL_DIR: {
      meaning: 'The SMTP sink cannot create or write its mail directory.',
      fix: 'Pass a writable --mail-dir (cnpaas up uses <state-dir>/mail).',
    },
    CNPAAS_FUNCTIONS_MAIL_NOT_FOUND: {
      meaning: '`readMail` was asked for an id that is malformed or not stored.',
      fix: 'Use an id that cnpaas mail lists.',
    },
    CNPAAS_FUNCTIONS_BODY_NOT_JSON: {
      meaning: 'The request body is not JSON.',
      fix: 'POST the Email object as JSON (Content-Type application/json).',
    },
    CNPAAS_FUNCTIONS_BAD_EVENT: {
      meaning: 'The request body is JSON but not an Email (or a watch event carrying one), or the Email is malformed.',
      fix: 'POST the Email object, or a watch event {type, object} carrying it, with the fields the message names.',
    },
    CNPAAS_FUNCTIONS_CLIENT_CERT_REQUIRED: {
      meaning: "The POST came without a client certificate signed by the function's client CA.",
      fix: 'Call the function with a client certificate signed by its --client-ca-file (cnpaas up: the delivery CA; the HTTPTrigger names the certificate in spec.tls.clientSecretRef).',
    },
    CNPAAS_FUNCTIONS_CLIENT_NOT_ALLOWED: {
      meaning: 'The client certificate is valid but its CN is not on the allowed list.',
      fix: 'Use a certificate whose CN is in --allowed-client-names, or add its CN there.',
    },
    CNPAAS_FUNCTIONS_STATUS_STORE: {
      meaning: "A read or write of the Email's status failed (apiserver unreachable, 5xx, forbidden).",
      fix: "Check that kube-apiserver is up and that the function's manifests/rbac.yaml is applied (get emails, patch emails/status); the trigger retries the delivery.",
    },
    CNPAAS_FUNCTIONS_TRIGGER_SPEC: {
      meaning: "An HTTPTrigger's spec cannot be run (bad URL, header, namespace, TLS settings).",
      fix: 'Correct the field the message names in the HTTPTrigger; its status shows the same reason (InvalidSpec).',
    },
    CNPAAS_FUNCTIONS_TARGET_REFUSED: {
      meaning:
        "An HTTPTrigger's target is a loopback or link-local address or the kube-apiserver (by its URL or by what its host name resolves to), and not on the trigger's --allow-target list; it is never called.",
      fix: "Point the HTTPTrigger at the service's own address, or have whoever runs cnpaas-trigger allow that host:port with --allow-target (CNPAAS_TRIGGER_ALLOW_TARGETS).",
    },
    CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE: {
      meaning: 'An HTTPTrigger body template does not parse, or rendering it failed.',
      fix: 'Fix the template at the line and column given: {{ .object }}, {{ toJson .object }}, {{ quote … }}, {{ index … "key" }} and {{ default "x" … }} are what it understands; keep the rendered body small.',
    },
    CNPAAS_FUNCTIONS_VERIFICATION_LINK: {
      meaning:
        "An Email's body asks for {{ .verificationUrl }} but the link cannot be made: the verification key Secret (cnpaas-system/cnpaas-verification-key) is missing or unreadable (retried), or the Email has no controlling User to verify (permanent), or --verify-url is not an http(s) URL.",
      fix: "cnpaas up and cnpaas install make the Secret (32 random bytes under key `key`); apply packages/functions/manifests/rbac.yaml; use the placeholder only in Emails a User owns (the welcome mail); pass --verify-url as the console's http(s)://host:port/verify.",
    },
  },
}) {}
export type FunctionsErrorCode = FunctionsError['code'];
