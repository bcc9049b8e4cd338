/**
 * Authentication of proxied requests: @cnpaas/service-kit's
 * `authenticateFrontProxy` (the requestheader scheme of k8s.io/apiserver's
 * extension API servers: X-Remote-* headers are read only from a client
 * certificate the front-proxy CA signed, with an allowed CN), answering with
 * this package's 401 Statuses. The TLS layer trusts *only* the requestheader
 * CA (server.ts passes it as the sole `ca`).
 */
import type { IncomingMessage } from 'node:http';
import { authenticateFrontProxy as authenticate, DEFAULT_REQUESTHEADER_ALLOWED_NAMES } from '@cnpaas/service-kit';
import { proxyError } from './errors.js';
import type { UserInfo } from './kube-api.js';

export const DEFAULT_ALLOWED_NAMES: readonly string[] = DEFAULT_REQUESTHEADER_ALLOWED_NAMES;

const HOW_TO_CALL =
  'call this API through kube-apiserver, e.g. kubectl create --raw /apis/api.webshop.cnpaas.dev/v1/registrations -f registration.yaml';

export interface FrontProxyAuthOptions {
  /** CNs allowed among certificates the requestheader CA signed. Never empty: see config.ts. */
  allowedNames: readonly string[];
}

/** The caller kube-apiserver vouches for, or a 401 `ApiServerError`. */
export function authenticateFrontProxy(raw: IncomingMessage, options: FrontProxyAuthOptions): UserInfo {
  return authenticate(raw, { allowedNames: options.allowedNames, hint: HOW_TO_CALL, error: proxyError });
}
