import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { freePort } from '../support/free-port.js';
import { startStore } from '../support/processes.js';
import { useStore } from '../support/store-suite.js';
import { WatchStream } from '../support/watch.js';

const k = (s: string) => Buffer.from(s);
const ONE = `backends:
  - name: first
    endpoint: sqlite://first.db
    prefix: { prefix: "/first/" }
`;

let metricsPort: number;
let socket: string;

const suite = useStore(async () => {
  metricsPort = await freePort();
  return { topology: ONE, logLevel: 'info', extraArgs: [`--listen-metrics-urls=http://127.0.0.1:${metricsPort}`] };
});
beforeAll(() => {
  socket = join(suite.store.dataDir, 'store.sock');
});

describe('the store process', () => {
  it('serves /metrics, /healthz and /readyz', async () => {
    await call(suite.client.kv, 'Put', { key: k('m'), value: k('1') });
    const base = `http://127.0.0.1:${metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^cnpaas_store_revision 2$/m);
    expect(metrics).toMatch(/^cnpaas_store_keys\{backend="main"\} 1$/m);
    expect(metrics).toMatch(/^cnpaas_store_requests_total\{method="Put",code="OK"\} 1$/m);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('reloads the topology on SIGHUP, accepting only appended backends', async () => {
    const file = join(suite.store.dataDir, 'topology.yaml');
    writeFileSync(
      file,
      `${ONE}  - name: second\n    endpoint: sqlite://second.db\n    prefix: { prefix: "/second/" }\n`,
    );
    suite.store.child.kill('SIGHUP');
    await until(() => suite.store.output().includes('topology reloaded'));
    await call(suite.client.kv, 'Put', { key: k('/second/x'), value: k('1') });
    expect(statSync(join(suite.store.dataDir, 'second.db')).size).toBeGreaterThan(0);

    writeFileSync(file, ONE.replace('/first/', '/other/'));
    suite.store.child.kill('SIGHUP');
    await until(() => suite.store.output().includes('topology reload refused'));
    expect(suite.store.output()).toContain('backends[0] (first) was changed or removed');
    const r = await call(suite.client.kv, 'Range', { key: k('/second/x') });
    expect(r.kvs).toHaveLength(1);
  });
});

describe('listening on a unix socket and stopping gracefully', () => {
  it('makes the socket owner-only, cancels watchers on SIGTERM and exits 0', async () => {
    const dataDir = suite.store.dataDir;
    const other = await startStore({ extraListenUrls: [`unix://${socket}`], dataDir: join(dataDir, 'second-store') });
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const viaSocket = connect(`unix://${socket}`);
    await call(viaSocket.kv, 'Put', { key: k('s'), value: k('1') });
    const w = new WatchStream(viaSocket);
    w.create({ key: k('s'), watch_id: 9 });
    await w.until((r) => r.some((x) => x.created));
    other.child.kill('SIGTERM');
    await w.until((r) => r.some((x) => x.canceled && Number(x.watch_id) === 9));
    const code = await new Promise<number | null>((r) => other.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    viaSocket.close();
  });
});

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
