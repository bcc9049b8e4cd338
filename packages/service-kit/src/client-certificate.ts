/**
 * Who may call a route, by client certificate (mTLS). The servers ask for a
 * certificate during the TLS handshake but do not require one
 * (`requestCert: true, rejectUnauthorized: false`), so /healthz, /readyz and
 * /metrics stay reachable on the same port; Node still verifies any
 * certificate against the client CA and records the verdict on the socket
 * (`authorized`). The routes that matter check it per request.
 *
 * A server whose routes have different callers (an admission webhook called
 * by kube-apiserver and a function called by a trigger, on one port) trusts
 * each caller's CA in its handshake, which then accepts a certificate from
 * any of them; each route names its own (`issuer`), so one CA's certificate
 * never opens another CA's route.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
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
  /**
   * The CA (PEM, one or more certificates) the caller's certificate must chain to, when the server trusts
   * other client CAs for other routes. Called on every request, so certificates re-read on SIGHUP apply at
   * once. Unset: any CA the server's handshake trusts.
   */
  issuer?: () => string | Buffer;
}

/** The SHA-256 fingerprints of the peer's certificate and the issuers the handshake verified it against. */
function peerChainFingerprints(socket: TLSSocket): Set<string> {
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    cert = cert.issuerCertificate;
  }
  return seen;
}

/** Fingerprints of every certificate in a PEM bundle; parsed once per bundle value. */
function bundleFingerprints(): (pem: string | Buffer) => Set<string> {
  let last: { pem: string | Buffer; fingerprints: Set<string> } | undefined;
  return (pem) => {
    if (last?.pem !== pem) {
      const blocks = String(pem).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      last = { pem, fingerprints: new Set(blocks.map((block) => new X509Certificate(block).fingerprint256)) };
    }
    return last.fingerprints;
  };
}

/** A fastify `onRequest` hook: 401 without a certificate from the client CA, 403 for a CN not on the list. */
export function clientCertificateCheck(
  options: ClientCertificateCheckOptions,
): (request: { raw: IncomingMessage }) => Promise<void> {
  const issuerFingerprints = bundleFingerprints();
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
    if (options.issuer) {
      const wanted = issuerFingerprints(options.issuer());
      if (![...peerChainFingerprints(socket)].some((fingerprint) => wanted.has(fingerprint))) {
        throw options.error(
          'CLIENT_CERT_REQUIRED',
          `a client certificate signed by ${options.signer} is required (this one is signed by another CA the server trusts, for another route)`,
          { httpStatus: 401, hint: options.hint },
        );
      }
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
