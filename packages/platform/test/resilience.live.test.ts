/**
 * Resilience: kill -9 the store under load while kube-apiserver runs. The
 * supervisor restarts the store, the apiserver recovers by itself (same pid),
 * and every write the apiserver acknowledged is still there.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '../src/status.js';
import type { KubeClient } from '@cnpaas/kube';
import { kubeClientFromPki } from '../src/pki-client.js';
import { CONFIGMAPS, SHIRTS, runLoad, verifyAcknowledged } from './support/load.js';
import { SHIRTS_CRD, SHIRTS_TOPOLOGY } from './support/shirts.js';
import { startStack, type TestStack } from './support/stack.js';

async function componentPid(stateDir: string, name: string): Promise<number | null> {
  const report = await status(stateDir);
  const c = report.components.find((x) => x.name === name);
  return c?.healthy ? c.pid : null;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

describe('resilience: kill -9 of the store under load', () => {
  let stack: TestStack;
  let http: KubeClient;

  beforeAll(async () => {
    stack = await startStack({ topology: SHIRTS_TOPOLOGY });
    await stack.kubectl(['apply', '-f', '-'], { input: SHIRTS_CRD });
    await stack.kubectl(['wait', '--for=condition=Established', 'crd/shirts.stable.example.com', '--timeout=60s']);
    await stack.kubectl(['create', 'namespace', 'load']);
    http = kubeClientFromPki({ server: stack.result.server, pkiDir: path.join(stack.stateDir, 'pki') });
  });
  afterAll(async () => {
    http?.close();
    await stack?.stop();
  });

  it('recovers without help and loses no acknowledged write', async () => {
    const seed = Number(process.env.CNPAAS_SEED ?? Math.floor(Math.random() * 1e6));
    console.log(`[resilience] seed ${seed} (replay with CNPAAS_SEED=${seed})`);
    const apiserverPid = await componentPid(stack.stateDir, 'kube-apiserver');
    expect(apiserverPid).toBeGreaterThan(0);

    const load = runLoad({
      http,
      namespace: 'load',
      kinds: [CONFIGMAPS, SHIRTS],
      workers: 8,
      durationMs: 30_000,
      seed,
    });
    for (const round of [1, 2]) {
      await sleep(6_000);
      const storePid = await waitFor('a healthy store', 30_000, () => componentPid(stack.stateDir, 'store'));
      process.kill(storePid, 'SIGKILL');
      const restarted = await waitFor(`the store restarted (round ${round})`, 30_000, async () => {
        const pid = await componentPid(stack.stateDir, 'store');
        return pid !== null && pid !== storePid ? pid : null;
      });
      console.log(`[resilience] round ${round}: killed store pid ${storePid}, supervisor restarted it as ${restarted}`);
    }
    const result = await load;
    console.log(
      `[resilience] ${result.acknowledged} acknowledged writes, ${result.unacknowledged} not acknowledged, ${result.known.length} objects with a known state`,
    );

    await waitFor(
      'kube-apiserver /readyz',
      60_000,
      async () => (await http.request('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200,
    );
    expect(result.contradictions).toEqual([]);
    expect(result.acknowledged).toBeGreaterThan(200);
    expect(await verifyAcknowledged(http, 'load', result.known)).toEqual([]);

    const report = await status(stack.stateDir);
    const byName = Object.fromEntries(report.components.map((c) => [c.name, c]));
    expect(byName['kube-apiserver']).toMatchObject({ pid: apiserverPid, restarts: 0, healthy: true });
    expect(byName.store).toMatchObject({ restarts: 2, healthy: true });
    // Writes keep working after recovery.
    expect(
      (await http.request('POST', CONFIGMAPS.collection('load'), { body: CONFIGMAPS.create('after-recovery', 'ok') }))
        .status,
    ).toBe(201);
  });
});
