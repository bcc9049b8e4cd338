/**
 * Who may call a route, by client certificate (mTLS). The servers ask for a
 * certificate during the TLS handshake but do not require one
 * (`requestCert: true, rejectUnauthorized: false`), so /healthz, /readyz and
 * /metrics stay reachable on the same port; Node still verifies any
 * certificate against the client CA and records the verdict on the socket
 * (`authorized`). The routes that matter check it per request.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ErrorFactory } from './errors.js';

/** The subject CNs of the peer's certificate (Node gives an array when there are several). */
export function peerCommonNames(socket: TLSSocket): string[] {
  const cn = socket.getPeerCertificate().subject?.CN;
  return Array.isArray(cn) ? cn : cn ? [cn] : [];
}

export interface ClientCertificateCheckOptions {
  /** CNs allowed among the certificates the client CA signed; empty: any of them. */
  allowedNames: readonly string[];
  /** Completes "a client certificate signed by … is required", e.g. "the webhooks' client CA". */
  signer: string;
  /** Completes "client certificate CN x may not …", e.g. "call admission routes". */
  action: string;
  /** How a caller gets a certificate that works. */
  hint: string;
  error: ErrorFactory<'CLIENT_CERT_REQUIRED' | 'CLIENT_NOT_ALLOWED'>;
}

/** A fastify `onRequest` hook: 401 without a certificate from the client CA, 403 for a CN not on the list. */
export function clientCertificateCheck(
  options: ClientCertificateCheckOptions,
): (request: { raw: IncomingMessage }) => Promise<void> {
  return async (request) => {
    const socket = request.raw.socket as TLSSocket;
    if (!socket.authorized) {
      const why = socket.authorizationError ? ` (${String(socket.authorizationError)})` : '';
      throw options.error(
        'CLIENT_CERT_REQUIRED',
        `a client certificate signed by ${options.signer} is required${why}`,
        { httpStatus: 401, hint: options.hint },
      );
    }
    if (options.allowedNames.length === 0) return;
    const names = peerCommonNames(socket);
    if (!names.some((name) => options.allowedNames.includes(name))) {
      throw options.error(
        'CLIENT_NOT_ALLOWED',
        `client certificate CN ${names.join(',') || '(none)'} may not ${options.action}`,
        {
          httpStatus: 403,
          hint: `allowed: ${options.allowedNames.join(', ')}`,
        },
      );
    }
  };
}
