/**
 * The base of a package's fastify HTTPS server (the webhooks, the
 * api-server, the email function). The package builds the fastify app (so
 * the kit does not load fastify) and adds its own routes; this adds the
 * health routes and runs the server's life: listening (ready from then on),
 * its URL, new certificates without a restart, closing (not ready from then
 * on).
 */
import type { Server as TlsServer } from 'node:tls';
import type { HostPort } from './address.js';
import type { ErrorFactory } from './errors.js';
import { addHealthRoutes, type HealthRouteTarget, type MetricsRegistry } from './health-routes.js';
import { secureContext, type ServingTls } from './https-options.js';
import { listenOrExplain, serverUrl } from './listen.js';

/** The parts of a fastify instance the base uses. */
export interface HttpsApp extends HealthRouteTarget {
  readonly server: TlsServer;
  listen(options: HostPort): Promise<unknown>;
  close(): Promise<unknown>;
}

export interface HttpsServiceOptions<Tls> {
  /** The package's LISTEN error, for a taken `--listen` address. */
  error: ErrorFactory<'LISTEN'>;
  /** What /metrics serves. */
  registry: MetricsRegistry;
  /** The package's TLS material in the kit's terms: its client CA goes by the package's own name. */
  servingTls(tls: Tls): ServingTls;
}

export class HttpsService<App extends HttpsApp, Tls> {
  #ready = false;
  readonly #options: HttpsServiceOptions<Tls>;

  constructor(
    readonly app: App,
    options: HttpsServiceOptions<Tls>,
  ) {
    this.#options = options;
    addHealthRoutes(app, { ready: () => this.#ready, registry: options.registry });
  }

  /** For /readyz: true from listening until closing. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Listens on the address `--listen` gave; resolves with the base URL, e.g. https://127.0.0.1:9443. */
  async listen(at: HostPort): Promise<string> {
    await listenOrExplain(() => this.app.listen({ host: at.host, port: at.port }), {
      host: at.host,
      port: at.port,
      flag: 'listen',
      error: this.#options.error,
    });
    this.#ready = true;
    return this.url();
  }

  url(): string {
    return serverUrl(this.app.server, 'https');
  }

  /** Certificate rotation: new connections use these. */
  setTls(tls: Tls): void {
    this.app.server.setSecureContext(secureContext(this.#options.servingTls(tls)));
  }

  /** Stops taking connections, lets requests in flight finish. */
  async close(): Promise<void> {
    this.#ready = false;
    await this.app.close();
  }
}
