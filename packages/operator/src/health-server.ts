/**
 * /healthz, /readyz and /metrics over plain HTTP on loopback (DESIGN.md:
 * they may stay unauthenticated there). node:http, because three GET routes
 * do not justify a web framework in the operator.
 *
 * - /healthz: 200 while the process serves requests (its event loop runs);
 * - /readyz: 200 once this replica leads and its caches synced, else 503
 *   with the manager's state (a standby is healthy but not ready);
 * - /metrics: the Prometheus registry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { OperatorError, errorMessage } from './errors.js';

export interface HealthServerOptions {
  host: string;
  port: number;
  ready(): { ready: boolean; state: string };
  registry: Registry;
}

export interface HealthServer {
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  close(): Promise<void>;
}

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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new OperatorError('CNPAAS_OPERATOR_LISTEN', `cannot listen on ${options.host}:${options.port}: ${err.message}`, {
        hint: 'pick a free port with --listen-health (port 0 picks one)',
        cause: err,
      })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
