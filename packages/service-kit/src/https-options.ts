/**
 * The options a package's fastify HTTPS server is built with. With a client
 * CA the TLS handshake asks for, but does not require, a client certificate
 * (`rejectUnauthorized: false`): the health routes stay reachable without
 * one on the same port, and the routes that need one check it
 * (client-certificate.ts) and say how to get one instead of a bare TLS
 * alert.
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';

export interface ServingTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** Signs the callers' client certificates. Unset: none is asked for. */
  ca?: string | Buffer | undefined;
}

export interface FastifyHttpsOptions<Log> {
  tls: ServingTls;
  log: Log;
  /** Largest request body in bytes. */
  bodyLimit: number;
}

/** For `Fastify(…)`: HTTPS, the package's logger, its body limit, 503 while closing. */
export function fastifyHttpsOptions<Log>(options: FastifyHttpsOptions<Log>): {
  https: HttpsServerOptions;
  loggerInstance: Log;
  bodyLimit: number;
  return503OnClosing: boolean;
} {
  return {
    https: {
      ...secureContext(options.tls),
      ...(options.tls.ca !== undefined ? { requestCert: true, rejectUnauthorized: false } : {}),
      minVersion: 'TLSv1.2',
    },
    loggerInstance: options.log,
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
  };
}

/** Key, certificate and client CA, as both the server's options and `setSecureContext` take them. */
export function secureContext(tls: ServingTls): { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer } {
  return { key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) };
}
