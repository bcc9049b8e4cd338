/**
 * /healthz, /livez, /readyz and /metrics on a package's own fastify server.
 * docs/design.md "Security" lets them answer without a client certificate, so a server that
 * asks for one checks it on its other routes only.
 */

export const HEALTH_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz', '/metrics'];

/** A prom-client Registry. */
export interface MetricsRegistry {
  contentType: string;
  metrics(): Promise<string>;
}

/** The parts of fastify's instance and reply the routes use: the kit does not load fastify. */
export interface HealthReply {
  type(contentType: string): HealthReply;
  code(status: number): HealthReply;
  send(body: string): HealthReply;
}
export interface HealthRouteTarget {
  get(path: string, handler: (request: unknown, reply: HealthReply) => Promise<HealthReply>): unknown;
}

export interface HealthRoutesOptions {
  /** True from listening until closing: /readyz answers 503 otherwise. */
  ready(): boolean;
  registry: MetricsRegistry;
}

export function addHealthRoutes(app: HealthRouteTarget, options: HealthRoutesOptions): void {
  const ok = async (_request: unknown, reply: HealthReply): Promise<HealthReply> => reply.type('text/plain').send('ok');
  app.get('/healthz', ok);
  app.get('/livez', ok);
  app.get('/readyz', async (request, reply) =>
    options.ready() ? ok(request, reply) : reply.code(503).type('text/plain').send('not ready'),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
}
