import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from './health-server.js';
import { caught, testError as error } from './test-support.js';

const servers: HealthServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('health server', () => {
  it('serves /healthz, /readyz (503 until ready, with the state) and /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'cnpaas_test_total', help: 'test', registers: [registry] }).inc();
    let ready = false;
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      error,
      ready: () => ({ ready, state: ready ? 'running' : 'campaigning' }),
    });
    servers.push(server);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: campaigning\n']);
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(await metrics.text()).toContain('cnpaas_test_total 1');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it("reports a taken port as the package's LISTEN error, naming --listen-health", async () => {
    const first = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      error,
      ready: () => ({ ready: true, state: 'running' }),
    });
    servers.push(first);
    const port = Number(new URL(first.url).port);
    const err = await caught(() =>
      startHealthServer({
        host: '127.0.0.1',
        port,
        registry: new Registry(),
        error,
        ready: () => ({ ready: true, state: 'running' }),
      }),
    );
    expect(err.code).toBe('TEST_LISTEN');
    expect(err.hint).toContain('--listen-health');
  });
});
