/**
 * The life of a process whose work is one HTTPS server (the webhooks, the
 * api-server, the email function): read the certificates, build the server
 * (a TLS error with the package's hint when the files do not fit), listen,
 * then run until SIGTERM/SIGINT close it gracefully; SIGHUP reads the
 * certificates again and hands them to the running server.
 */
import type { HostPort } from './address.js';
import type { ErrorFactory } from './errors.js';
import type { Logger } from './logger.js';
import { runUntilStopped } from './run.js';
import { tlsSetup } from './tls.js';

/** The parts of an `HttpsService` this uses. */
export interface ServedHttps<Tls> {
  readonly app: { ready(): PromiseLike<unknown> };
  listen(at: HostPort): Promise<string>;
  setTls(tls: Tls): void;
  close(): Promise<void>;
}

export interface ServeUntilStoppedOptions<Tls, Server extends ServedHttps<Tls>> {
  /** Reads the certificate files (`readPem` each); called on SIGHUP, and at start unless `tls` is given. */
  readTls(): Tls;
  /** The certificates, read already: a process that checks its files before anything else passes them here. */
  tls?: Tls;
  /** Builds the server on those certificates. */
  build(tls: Tls): Server;
  /** Where it listens (`--listen`). */
  at: HostPort;
  log: Logger;
  /** The package's TLS and LISTEN errors. */
  error: ErrorFactory<'TLS'>;
  /** What to check when the certificates do not make a server, e.g. "check that --key-file is the key of --cert-file". */
  tlsHint: string;
  /** Once listening, with its URL: the package's start-up log line. */
  listening(url: string, server: Server): void;
  /** After the server closed: what else the process holds (caches, timers). */
  close?(): void | Promise<void>;
}

export async function serveUntilStopped<Tls, Server extends ServedHttps<Tls>>(
  options: ServeUntilStoppedOptions<Tls, Server>,
): Promise<never> {
  const tls = options.tls ?? options.readTls();
  const server = await tlsSetup(
    async () => {
      const built = options.build(tls);
      await built.app.ready();
      return built;
    },
    { hint: options.tlsHint, error: options.error },
  );
  options.listening(await server.listen(options.at), server);
  return runUntilStopped({
    log: options.log,
    close: async () => {
      await server.close();
      await options.close?.();
    },
    reload: () => server.setTls(options.readTls()),
  });
}
