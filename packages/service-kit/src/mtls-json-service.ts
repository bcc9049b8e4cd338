/**
 * The base of an HTTPS server that takes and answers JSON and lets in
 * callers by client certificate (the email function, the webhooks): it
 * builds the fastify app on the kit's HTTPS options, adds the health routes
 * (HttpsService), the JSON body parser and the error handler, and keeps the
 * package's metrics. The package adds its routes in its constructor.
 */
import type { AnsweredError, JsonErrorHandlerOptions } from './error-handler.js';
import type { ErrorFactory } from './errors.js';
import type { MetricsRegistry } from './health-routes.js';
import { fastifyHttpsOptions } from './https-options.js';
import { HttpsService, type HttpsApp } from './https-service.js';
import { serveJson, type JsonApp } from './json-server.js';
import { mtlsServingTls, type MtlsMaterial } from './mtls-serving.js';

/** What the base needs of the package's metrics (a `defineMetrics` class with a `rejectedRequests` counter). */
export interface JsonServiceMetrics {
  readonly registry: MetricsRegistry;
  readonly rejectedRequests: JsonErrorHandlerOptions['rejected'];
}

/**
 * The package's error class (`defineErrors`): its errors are answered with their code, message and
 * hint, and its `kit` reports the server's LISTEN and BODY_NOT_JSON failures.
 */
export interface AnsweringErrors {
  readonly kit: ErrorFactory<'LISTEN' | 'BODY_NOT_JSON'>;
  readonly prototype: AnsweredError;
  [Symbol.hasInstance](value: unknown): boolean;
}

/** What every server of a package has in common, declared once beside its class. */
export interface MtlsJsonServerKind<App, Log, Metrics> {
  /** `(options) => Fastify(options)`: the package loads fastify, the kit does not. */
  fastify(options: ReturnType<typeof fastifyHttpsOptions<Log>>): App;
  /** Metrics of its own, when the caller passes none. */
  metrics(): Metrics;
  /** The default largest request body, in bytes. */
  bodyLimit: number;
  /** The package's error class. */
  errors: AnsweringErrors;
}

/** The options every such server takes. */
export interface MtlsJsonServerOptions<Log, Metrics> {
  tls: MtlsMaterial;
  log: Log;
  metrics?: Metrics | undefined;
  /** Largest request body in bytes; default the kind's. */
  bodyLimit?: number | undefined;
}

export class MtlsJsonService<
  App extends HttpsApp & JsonApp,
  Log,
  Metrics extends JsonServiceMetrics,
> extends HttpsService<App, MtlsMaterial> {
  readonly metrics: Metrics;

  constructor(options: MtlsJsonServerOptions<Log, Metrics>, kind: MtlsJsonServerKind<App, Log, Metrics>) {
    const metrics = options.metrics ?? kind.metrics();
    const app = kind.fastify(
      fastifyHttpsOptions({
        tls: mtlsServingTls(options.tls),
        log: options.log,
        bodyLimit: options.bodyLimit ?? kind.bodyLimit,
      }),
    );
    const { errors } = kind;
    super(app, { error: errors.kit, registry: metrics.registry, servingTls: mtlsServingTls });
    this.metrics = metrics;
    serveJson(app, {
      error: errors.kit,
      isOwn: (error): error is AnsweredError => error instanceof errors,
      rejected: metrics.rejectedRequests,
    });
  }
}
