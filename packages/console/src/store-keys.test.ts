import { createServer } from 'node:http';
import { silentLog } from '@cnpaas/kube/testing';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { Fabric, type FabricChange } from './fabric.js';
import { fetchBackendKeys, parseBackendKeys, type BackendKeys } from './store-keys.js';
import { DEMO_BACKENDS, FakeKube } from './test-support.js';

const METRICS = `# HELP cnpaas_store_keys Live keys per backend
# TYPE cnpaas_store_keys gauge
cnpaas_store_keys{backend="main"} 412
cnpaas_store_keys{backend="tenants"} 2
cnpaas_store_keys{backend="users"} 2
cnpaas_store_keys{backend="emails"} 0
cnpaas_store_watchers 17
`;

describe('the store’s key counts per backend', () => {
  it('reads cnpaas_store_keys from the store’s metrics text and nothing else', () => {
    expect(parseBackendKeys(METRICS)).toEqual({ main: 412, tenants: 2, users: 2, emails: 0 });
  });

  it('fetches them over HTTP, and says nothing (undefined) when the store does not answer', async () => {
    const server = createServer((_req, res) => res.end(METRICS));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await fetchBackendKeys(`http://127.0.0.1:${port}/metrics`)).toMatchObject({ main: 412 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await fetchBackendKeys(`http://127.0.0.1:${port}/metrics`, 500)).toBeUndefined();
  });

  it('are part of the fabric’s snapshot and sent as a change when they move', async () => {
    let keys: BackendKeys = { main: 1, tenants: 0 };
    const fabric = new Fabric({
      kube: new FakeKube(),
      backends: DEMO_BACKENDS,
      log: silentLog,
      storeKeys: async () => keys,
      keysIntervalMs: 10,
    });
    const changes: FabricChange[] = [];
    fabric.subscribe((c) => changes.push(c));
    fabric.start();
    try {
      await until(() => fabric.snapshot().keys?.['main'] === 1);
      keys = { main: 2, tenants: 1 };
      await until(() => changes.some((c) => c.type === 'keys' && c.keys['tenants'] === 1));
      expect(fabric.snapshot().keys).toEqual({ main: 2, tenants: 1 });
      // Unchanged counts are not sent again.
      const sent = changes.filter((c) => c.type === 'keys').length;
      await new Promise((r) => setTimeout(r, 50));
      expect(changes.filter((c) => c.type === 'keys').length).toBe(sent);
    } finally {
      await fabric.close();
    }
  });

  it('takes the store’s metrics URL as a flag and refuses one that is not http(s)', () => {
    expect(
      parseConfig(['--kubeconfig', '/k', '--store-metrics-url', 'http://127.0.0.1:2381/metrics'], {}),
    ).toMatchObject({ storeMetricsUrl: 'http://127.0.0.1:2381/metrics' });
    expect(() => parseConfig(['--kubeconfig', '/k', '--store-metrics-url', 'unix:/run/store.sock'], {})).toThrow(
      expect.objectContaining({ code: 'CNPAAS_CONSOLE_BAD_FLAG' }),
    );
  });
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
