/**
 * /healthz, /readyz and /metrics of cnpaas-trigger over plain HTTP, loopback
 * only (DESIGN.md allows these three unauthenticated there).
 * - /healthz: the event loop runs;
 * - /readyz: 200 while this replica leads with synced caches, 503 (with the
 *   manager's state) otherwise: a standby is healthy but not ready;
 * - /metrics: the Prometheus registry (runtime + cnpaas_trigger_*).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { FunctionsError, errorMessage } from '../errors.js';

export interface TriggerHealthServer {
  /** e.g. http://127.0.0.1:8084 */
  url: string;
  close(): Promise<void>;
}

export async function startTriggerHealthServer(options: {
  host: string;
  port: number;
  ready(): { ready: boolean; state: string };
  registry: Registry;
}): Promise<TriggerHealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
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
      reject(new FunctionsError('CNPAAS_FUNCTIONS_LISTEN', `cannot listen on ${options.host}:${options.port}: ${err.message}`, {
        hint: 'pick a free port with --listen-health (port 0 picks one)',
        cause: err,
      })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
