/**
 * Authentication of requests kube-apiserver proxies to an aggregated API
 * server (the requestheader scheme of k8s.io/apiserver's extension servers).
 *
 * kube-apiserver authenticates and authorizes the real caller, then proxies
 * the request over TLS with its front-proxy client certificate
 * (--proxy-client-cert-file) and the caller's identity in X-Remote-*
 * headers. Those headers are only as trustworthy as the connection, so they
 * are read only when the TLS client certificate
 *   1. chains to the requestheader CA (--requestheader-client-ca-file), and
 *   2. has a CN in --requestheader-allowed-names (default front-proxy-client).
 * Anyone else who sets X-Remote-User, including a client with a certificate
 * from the cluster CA, gets 401: the CA-reuse hazard the Kubernetes docs
 * warn about. The server's TLS layer must trust *only* the requestheader CA
 * (pass it as the sole `ca` of `fastifyHttpsOptions`), so that
 * `socket.authorized` means exactly (1).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { peerCommonNames } from './client-certificate.js';
import type { ErrorFactory, FrontProxyFailure } from './errors.js';

/** kube-apiserver's front-proxy client CN, the default of --requestheader-allowed-names. */
export const DEFAULT_REQUESTHEADER_ALLOWED_NAMES: readonly string[] = ['front-proxy-client'];

/** kube-apiserver's --requestheader-* defaults, which cnpaas up passes explicitly too. */
export const USER_HEADER = 'x-remote-user';
export const GROUP_HEADER = 'x-remote-group';
export const UID_HEADER = 'x-remote-uid';
export const EXTRA_HEADER_PREFIX = 'x-remote-extra-';

const AUTHENTICATED_GROUP = 'system:authenticated';
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

/** The caller kube-apiserver vouches for (a SubjectAccessReview's user, group, uid and extra). */
export interface ProxiedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export interface FrontProxyAuthOptions {
  /** CNs allowed among certificates the requestheader CA signed. Never empty: an empty list would let any of them in. */
  allowedNames: readonly string[];
  /** How to call the API properly (through kube-apiserver), for the 401s of callers who did not. */
  hint: string;
  /** The package's errors; each failure carries `httpStatus: 401`. */
  error: ErrorFactory<FrontProxyFailure>;
}

/** The caller kube-apiserver vouches for, or the package's 401 error. */
export function authenticateFrontProxy(raw: IncomingMessage, options: FrontProxyAuthOptions): ProxiedUser {
  const socket = raw.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer || !peer.raw) {
    throw options.error(
      'UNAUTHENTICATED',
      'a client certificate is required: this server only answers requests proxied by kube-apiserver',
      { httpStatus: 401, hint: options.hint },
    );
  }
  if (!socket.authorized) {
    throw options.error(
      'UNAUTHENTICATED',
      `the client certificate is not signed by the front-proxy CA (${String(socket.authorizationError ?? 'unverified')}); X-Remote-* headers are ignored`,
      { httpStatus: 401, hint: options.hint },
    );
  }
  const names = peerCommonNames(socket);
  if (options.allowedNames.length === 0 || !names.some((name) => options.allowedNames.includes(name))) {
    throw options.error(
      'PROXY_NOT_ALLOWED',
      `the front-proxy client certificate CN ${JSON.stringify(names.join(',') || '(none)')} is not in --requestheader-allowed-names (${options.allowedNames.join(', ')})`,
      {
        httpStatus: 401,
        hint: 'give kube-apiserver a --proxy-client-cert-file with an allowed CN, or add its CN to --requestheader-allowed-names',
      },
    );
  }

  const headers = raw.headersDistinct;
  const username = firstValue(headers[USER_HEADER]);
  if (!username) {
    throw options.error('NO_USER', `the proxied request carries no ${USER_HEADER} header`, {
      httpStatus: 401,
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
