/**
 * Authentication of proxied requests (the requestheader scheme of
 * k8s.io/apiserver's extension API servers).
 *
 * kube-apiserver's aggregator authenticates the real caller, then proxies the
 * request to us over TLS with its front-proxy client certificate
 * (--proxy-client-cert-file) and the caller's identity in X-Remote-* headers.
 * Those headers are only as trustworthy as the connection, so they are read
 * only when the TLS client certificate
 *   1. chains to the requestheader CA (--requestheader-client-ca-file), and
 *   2. has a CN in --requestheader-allowed-names (default front-proxy-client).
 * Anyone else who sets X-Remote-User, including a client with a certificate
 * from the cluster CA, gets 401: the CA-reuse hazard the Kubernetes docs warn
 * about. The TLS layer trusts *only* the requestheader CA (server.ts passes
 * it as the sole `ca`), so `socket.authorized` means exactly (1).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { peerCommonNames } from '@cnpaas/service-kit';
import type { UserInfo } from './kube-api.js';
import { httpError } from './status.js';

export const DEFAULT_ALLOWED_NAMES = ['front-proxy-client'];

/** kube-apiserver's --requestheader-* defaults, which cnpaas up passes explicitly too. */
export const USER_HEADER = 'x-remote-user';
export const GROUP_HEADER = 'x-remote-group';
export const UID_HEADER = 'x-remote-uid';
export const EXTRA_HEADER_PREFIX = 'x-remote-extra-';

const AUTHENTICATED_GROUP = 'system:authenticated';
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
const HOW_TO_CALL =
  'call this API through kube-apiserver, e.g. kubectl create --raw /apis/api.webshop.cnpaas.dev/v1/registrations -f registration.yaml';

export interface FrontProxyAuthOptions {
  /** CNs allowed among certificates the requestheader CA signed. Never empty: see config.ts. */
  allowedNames: readonly string[];
}

/** The caller kube-apiserver vouches for, or a 401 `ApiServerError`. */
export function authenticateFrontProxy(raw: IncomingMessage, options: FrontProxyAuthOptions): UserInfo {
  const socket = raw.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer || !peer.raw) {
    throw httpError('CNPAAS_API_UNAUTHENTICATED', {
      code: 401,
      message: 'a client certificate is required: this server only answers requests proxied by kube-apiserver',
      hint: HOW_TO_CALL,
    });
  }
  if (!socket.authorized) {
    throw httpError('CNPAAS_API_UNAUTHENTICATED', {
      code: 401,
      message: `the client certificate is not signed by the front-proxy CA (${String(socket.authorizationError ?? 'unverified')}); X-Remote-* headers are ignored`,
      hint: HOW_TO_CALL,
    });
  }
  const names = peerCommonNames(socket);
  if (!names.some((name) => options.allowedNames.includes(name))) {
    throw httpError('CNPAAS_API_PROXY_NOT_ALLOWED', {
      code: 401,
      message: `the front-proxy client certificate CN ${JSON.stringify(names.join(',') || '(none)')} is not in --requestheader-allowed-names (${options.allowedNames.join(', ')})`,
      hint: 'give kube-apiserver a --proxy-client-cert-file with an allowed CN, or add its CN to --requestheader-allowed-names',
    });
  }

  const headers = raw.headersDistinct;
  const username = firstValue(headers[USER_HEADER]);
  if (!username) {
    throw httpError('CNPAAS_API_NO_USER', {
      code: 401,
      message: `the proxied request carries no ${USER_HEADER} header`,
      hint: 'check kube-apiserver --requestheader-username-headers=X-Remote-User',
    });
  }
  // One header line per group, as the aggregator sends them; a comma is a legal character in a group name.
  const groups = (headers[GROUP_HEADER] ?? []).filter((g) => g !== '');
  const uid = firstValue(headers[UID_HEADER]);
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith(EXTRA_HEADER_PREFIX) || !values) continue;
    const key = unescapeExtraKey(name.slice(EXTRA_HEADER_PREFIX.length));
    (extra[key] ??= []).push(...values);
  }
  // k8s.io/apiserver's AuthenticatedGroupAdder: every authenticated user is in system:authenticated.
  if (!groups.includes(AUTHENTICATED_GROUP) && !groups.includes(UNAUTHENTICATED_GROUP))
    groups.push(AUTHENTICATED_GROUP);
  return { username, ...(uid ? { uid } : {}), groups, extra };
}

function firstValue(values: string[] | undefined): string | undefined {
  const value = values?.[0]?.trim();
  return value ? value : undefined;
}

/** Extra keys are URL-path-escaped by the aggregator (keys like `authentication.kubernetes.io/pod-name`). */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key).toLowerCase();
  } catch {
    return key.toLowerCase();
  }
}
