import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HEALTH_PATHS, addHealthRoutes } from './health-routes.js';
import { loopbackApp } from './test-support.js';

describe('addHealthRoutes', () => {
  it('serves /healthz and /livez, /readyz (503 until ready) and /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'cnpaas_test_total', help: 'test', registers: [registry] }).inc();
    let ready = false;
    const app = await loopbackApp((fastify) => addHealthRoutes(fastify, { ready: () => ready, registry }));
    const get = async (path: string) => {
      const reply = await fetch(`${app.url}${path}`);
      return [reply.status, reply.headers.get('content-type'), await reply.text()];
    };
    expect(await get('/healthz')).toEqual([200, 'text/plain', 'ok']);
    expect(await get('/livez')).toEqual([200, 'text/plain', 'ok']);
    expect(await get('/readyz')).toEqual([503, 'text/plain', 'not ready']);
    ready = true;
    expect(await get('/readyz')).toEqual([200, 'text/plain', 'ok']);
    const [status, type, text] = await get('/metrics');
    expect([status, type]).toEqual([200, registry.contentType]);
    expect(text).toContain('cnpaas_test_total 1');
    expect(HEALTH_PATHS).toEqual(['/healthz', '/livez', '/readyz', '/metrics']);
  });
});
