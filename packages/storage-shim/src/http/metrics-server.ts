import { createServer, type Server } from 'node:http';
import { StoreError } from '../errors.js';
import type { StoreMetrics } from '../metrics.js';

export interface MetricsServerOptions {
  urls: string[];
  metrics: StoreMetrics;
  /** Refreshes gauges just before a scrape. */
  beforeScrape(): void;
  /** Whether the store serves requests now, and what /readyz says: `ok`, or which backend is down and why. */
  ready(): Promise<{ ok: boolean; detail: string }>;
}

/**
 * /metrics (Prometheus), /healthz and /readyz (plus etcd's /health), on
 * loopback addresses chosen by the operator. Read-only and unauthenticated,
 * like etcd's metrics listener.
 */
export async function startMetricsServers(options: MetricsServerOptions): Promise<Server[]> {
  const servers: Server[] = [];
  for (const url of options.urls) {
    const parsed = /^http:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
    if (!parsed) {
      throw new StoreError(
        'CNPAAS_STORE_BAD_FLAG',
        `--listen-metrics-urls: "${url}" is not http://IP:PORT`,
        'e.g. --listen-metrics-urls=http://127.0.0.1:2381',
      );
    }
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        try {
          options.beforeScrape();
        } catch (err) {
          // A network backend that is down cannot report its size or keys; the rest of the metrics still can.
          res
            .writeHead(503, { 'content-type': 'text/plain' })
            .end(`cannot read the backends: ${(err as Error).message}`);
          return;
        }
        options.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500).end(err.message);
          },
        );
        return;
      }
      if (path === '/healthz' || path === '/health' || path === '/livez') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"health":"true"}');
        return;
      }
      if (path === '/readyz') {
        options.ready().then(
          ({ ok, detail }) => res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(detail),
          (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${err.message}`),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz');
    });
    const host = parsed[1]!.replace(/^\[|\]$/g, '');
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new StoreError('CNPAAS_STORE_LISTEN', `cannot listen on ${url}: ${err.message}`, 'pick a free port')),
      );
      server.listen(Number(parsed[2]), host, () => resolve());
    });
    servers.push(server);
  }
  return servers;
}
