/**
 * The error registry of the api-server package.
 *
 * `ApiServerError` carries a stable `CNPAAS_API_*` code and a hint that says
 * what to do. Errors that end an HTTP request also carry the Kubernetes
 * `Status` to answer with (status.ts): every error body this server sends is
 * a `metav1.Status`, because kubectl and client-go only understand those.
 *
 * The codes are one table (`defineErrors`, @cnpaas/service-kit): the class,
 * the code union and docs/errors.md come from it. `ApiServerError` is the
 * kit's `HttpServiceError`, which carries the Status: `describe()`, and an
 * `instanceof` that holds across two copies of this package. `errorMessage`
 * is the kit's.
 */
import { defineErrors, kubeFailure, type ErrorFactory, type FrontProxyFailure } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export class ApiServerError extends defineErrors({
  package: 'api-server',
  name: 'ApiServerError',
  prefix: 'CNPAAS_API_',
  codes: {
    CNPAAS_API_BAD_FLAG: {
      meaning: 'A command-line flag or environment variable is missing or malformed.',
      fix: 'Run cnpaas-api-server --help for the flags and their CNPAAS_API_* variables, and correct the one named.',
    },
    CNPAAS_API_TLS: {
      meaning: 'A certificate or key file cannot be read, or TLS refuses it.',
      fix: 'Pass readable PEM files whose key belongs to the certificate (cnpaas up writes them under .cnpaas/pki); a CA bundle must hold the CA that signed the serving certificate.',
    },
    CNPAAS_API_LISTEN: {
      meaning: 'The server cannot listen on the requested address.',
      fix: 'Free the port, or pass another --listen HOST:PORT (CNPAAS_API_LISTEN).',
    },
    CNPAAS_API_KUBECONFIG: {
      meaning: 'No usable kubeconfig (file missing, no current cluster).',
      fix: "Pass --kubeconfig (or KUBECONFIG) with the api-server's kubeconfig from cnpaas up, with current-context set.",
    },
    CNPAAS_API_UNAUTHENTICATED: {
      meaning: 'A request came without a client certificate signed by the front-proxy (requestheader) CA.',
      fix: "Call this API through kube-apiserver (kubectl create --raw /apis/api.webshop.cnpaas.dev/v1/registrations -f registration.yaml); --requestheader-client-ca-file must be kube-apiserver's front-proxy CA.",
    },
    CNPAAS_API_PROXY_NOT_ALLOWED: {
      meaning: 'The front-proxy certificate is valid but its CN is not in --requestheader-allowed-names.',
      fix: 'Give kube-apiserver a --proxy-client-cert-file with an allowed CN, or add its CN to --requestheader-allowed-names.',
    },
    CNPAAS_API_NO_USER: {
      meaning: 'A proxied request carried no X-Remote-User.',
      fix: 'Start kube-apiserver with --requestheader-username-headers=X-Remote-User.',
    },
    CNPAAS_API_FORBIDDEN: {
      meaning: 'The SubjectAccessReview said no.',
      fix: 'Ask an administrator to bind you the ClusterRole cnpaas-registrant.',
    },
    CNPAAS_API_AUTHORIZER: {
      meaning: 'The SubjectAccessReview could not be asked (kube API down, our RBAC missing).',
      fix: 'Retry; if it persists, check that kube-apiserver is reachable from cnpaas-api-server and that packages/api-server/manifests/rbac.yaml is applied.',
    },
    CNPAAS_API_BAD_BODY: {
      meaning: 'The body is not JSON/YAML, or not a single object.',
      fix: 'Send one RegistrationRequest as JSON or YAML, with only the metadata fields the message lists.',
    },
    CNPAAS_API_BAD_KIND: {
      meaning: "The body's apiVersion/kind is not one this resource accepts.",
      fix: 'Send the apiVersion and kind the message names: a RegistrationRequest, or an api.webshop.cnpaas.dev/v1 Registration.',
    },
    CNPAAS_API_INVALID: {
      meaning: 'The body parsed but a field is missing, of the wrong type, too long, or unknown.',
      fix: "Correct the fields listed in the answer's causes (kubectl explain registrations.api.webshop.cnpaas.dev).",
    },
    CNPAAS_API_TOO_LARGE: {
      meaning: 'The body is larger than --max-body-bytes.',
      fix: 'Send a smaller body, or start cnpaas-api-server with a larger --max-body-bytes.',
    },
    CNPAAS_API_UNSUPPORTED_MEDIA_TYPE: {
      meaning: 'The Content-Type is not JSON or YAML.',
      fix: 'Send Content-Type application/json or application/yaml.',
    },
    CNPAAS_API_CREATE_REFUSED: {
      meaning:
        'The kube API refused the RegistrationRequest (a webhook denial, a taken name): its Status is passed on.',
      fix: 'Do what the passed-on Status says (a stronger password, a valid or unused email address, another name).',
    },
    CNPAAS_API_KUBE_UNAVAILABLE: {
      meaning: 'The kube API could not be reached or failed while creating or watching.',
      fix: 'Retry in a moment; if it persists, check that kube-apiserver and the admission webhooks are up and the webshop CRDs are applied (packages/webshop-api/manifests/crds/).',
    },
    CNPAAS_API_TIMEOUT: {
      meaning: 'The registration did not finish within --registration-timeout.',
      fix: 'Check that the operator is running (kubectl get registrationrequests shows how far it got), then send the registration again; raise --registration-timeout if it is only slow.',
    },
    CNPAAS_API_DELETED_WITHOUT_RESULT: {
      meaning: "The RegistrationRequest went away without the operator's result in its status.",
      fix: 'Someone else deleted it; send the registration again.',
    },
    CNPAAS_API_RESULT_LOST: {
      meaning: 'The result was lost: the watch expired (410) and the RegistrationRequest is gone.',
      fix: 'Find what it made with the kubectl get tenants -l command the message gives, rather than registering again.',
    },
    CNPAAS_API_OWN_PERMISSION: {
      meaning: 'Our own identity may not do what the flow needs (manifests/rbac.yaml not applied).',
      fix: 'Apply packages/api-server/manifests/rbac.yaml and check that --kubeconfig holds the cnpaas-api-server identity.',
    },
    CNPAAS_API_RATE_LIMITED: {
      meaning:
        'This caller sent more registrations than its rate limit allows (429 TooManyRequests, with Retry-After).',
      fix: 'Wait the Retry-After seconds and send it again; an operator expecting more registrations from one identity raises --registration-rate / --registration-burst (CNPAAS_API_REGISTRATION_RATE / _BURST).',
    },
    CNPAAS_API_LOGIN_RATE_LIMITED: {
      meaning:
        'Too many sign-in attempts from this caller or for this address (429 TooManyRequests, with Retry-After).',
      fix: 'Wait the Retry-After seconds and try again (per address: 5 at once, then 10 a minute).',
    },
    CNPAAS_API_TOKEN_INVALID: {
      meaning: 'A verification link that is not one of ours: changed, cut short, or signed with another key (400).',
      fix: 'Open the link exactly as the welcome mail has it (a mail program may have broken it across lines); if it still fails, register again to get a new mail.',
    },
    CNPAAS_API_TOKEN_EXPIRED: {
      meaning: 'A genuine verification link past its expiry (410 Expired).',
      fix: 'No new link is sent yet: whoever runs the webshop verifies the User by hand (kubectl patch user NAME -n NS --subresource status --type merge -p \'{"status":{"verifiedAt":"<now>"}}\').',
    },
    CNPAAS_API_ALREADY_VERIFIED: {
      meaning:
        'The verification link was used before: the address is verified already (409 Conflict). Links work once.',
      fix: 'Nothing to do: sign in with the address and password.',
    },
    CNPAAS_API_USER_GONE: {
      meaning: 'The link names a User that no longer exists, or a namesake made later (404).',
      fix: 'Register again; the old account is gone.',
    },
    CNPAAS_API_LOGIN_FAILED: {
      meaning:
        'Sign-in refused: the address is not registered or the password is wrong, deliberately not saying which (401).',
      fix: 'Check the address and the password and try again.',
    },
    CNPAAS_API_NOT_VERIFIED: {
      meaning: 'Sign-in with the right password before the address was verified (403).',
      fix: 'Open the verification link in the welcome mail, then sign in again.',
    },
    CNPAAS_API_VERIFICATION_KEY: {
      meaning:
        'The verification key Secret (cnpaas-system/cnpaas-verification-key) is missing, unreadable or too short (503).',
      fix: 'Run cnpaas up or cnpaas install (they make it), or create it: 32 random bytes under key `key`; check that packages/api-server/manifests/rbac.yaml is applied.',
    },
    CNPAAS_API_INTERNAL: {
      meaning: 'A bug or an answer from the kube API that makes no sense.',
      fix: 'Retry; if it persists, report it with the cnpaas-api-server log lines of the request.',
    },
  },
}) {}
export type ApiServerErrorCode = ApiServerError['code'];

/** The front-proxy authentication's refusals (service-kit's) under this package's codes, each with its 401 Status. */
export const proxyError: ErrorFactory<FrontProxyFailure> = (kind, message, options) =>
  new ApiServerError(`CNPAAS_API_${kind}`, message, {
    ...(options.hint ? { hint: options.hint } : {}),
    status: kubeFailure({
      code: options.httpStatus ?? 401,
      message: options.hint ? `${message}; ${options.hint}` : message,
    }),
  });
