/**
 * /healthz, /readyz and /metrics for the SMTP sink (DESIGN.md
 * "Observability": every server has them). SMTP has no HTTP port of its
 * own, so this is a tiny plain-HTTP listener next to it, loopback only
 * (DESIGN.md allows these three unauthenticated on loopback).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionsError, errorMessage } from '../errors.js';

export interface HealthServerOptions {
  ready(): boolean;
  /** Prometheus text exposition. */
  metrics(): string;
}

export async function startHealthServer(options: HealthServerOptions, listen: { host: string; port: number }): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') res.writeHead(405).end();
    else if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else if (path === '/readyz') {
      const ok = options.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
    } else if (path === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(options.metrics());
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new FunctionsError('CNPAAS_FUNCTIONS_LISTEN', `cannot listen on ${listen.host}:${listen.port}: ${errorMessage(err)}`, { cause: err })),
    );
    server.listen(listen.port, listen.host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Counters as Prometheus text. */
export function counterText(counters: Record<string, { help: string; value: number }>): string {
  return Object.entries(counters)
    .map(([name, c]) => `# HELP ${name} ${c.help}\n# TYPE ${name} counter\n${name} ${c.value}\n`)
    .join('');
}
