/**
 * /healthz, /readyz and /metrics over plain HTTP, for processes that serve
 * nothing else (controllers, the SMTP sink). docs/design.md "Security" allows these three
 * unauthenticated on loopback. node:http, because three GET routes do not
 * justify a web framework.
 *
 * - /healthz (alias /livez): 200 while the event loop runs;
 * - /readyz: 200 when `ready()` says so, else 503 with the state (a standby
 *   replica is healthy but not ready);
 * - /metrics: the Prometheus registry.
 */
import http from 'node:http';
import { errorMessage, type ErrorFactory } from './errors.js';
import type { MetricsRegistry } from './health-routes.js';
import { listenOrExplain, serverUrl } from './listen.js';

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  ready(): { ready: boolean; state: string };
  registry: MetricsRegistry;
  error: ErrorFactory<'LISTEN'>;
}

export interface HealthServer {
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  close(): Promise<void>;
}

/** Listens on `--listen-health`, the flag every such process uses for it. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz' || path === '/livez') return send(200, 'ok\n');
    if (path === '/readyz') {
      const { ready, state } = options.ready();
      return ready ? send(200, 'ok\n') : send(503, `not ready: ${state}\n`);
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (err: unknown) => send(500, `metrics failed: ${errorMessage(err)}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
  await listenOrExplain(
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, resolve);
      }),
    { host: options.host, port: options.port, flag: 'listen-health', error: options.error },
  );
  return {
    url: serverUrl(server, 'http'),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
