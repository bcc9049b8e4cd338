/**
 * The control-plane scenario suite: a real kube-apiserver and kube-controller-manager
 * on cnpaas-store, started by `cnpaas up` and driven only through kubectl.
 * The topology is the demo's plus a route for the Kubernetes docs' shirts
 * CRD, and the SQLite files are read at the end to show where objects live.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../src/index.js';
import { status } from '../src/status.js';
import { leaseOfKey, liveKeys } from '@cnpaas/storage-shim/inspect';
import { SHIRTS_CRD, SHIRTS_FILE, SHIRTS_TOPOLOGY } from './support/shirts.js';
import { startStack, type TestStack } from './support/stack.js';

function shirt(name: string, color: string, size: string, ns = 'wardrobe'): string {
  return stringify({
    apiVersion: 'stable.example.com/v1',
    kind: 'Shirt',
    metadata: { name, namespace: ns, labels: { size } },
    spec: { color, size },
  });
}

describe('a Kubernetes control plane on cnpaas-store (cnpaas up)', () => {
  let stack: TestStack;
  let dataDir: string;

  beforeAll(async () => {
    stack = await startStack({ topology: SHIRTS_TOPOLOGY });
    dataDir = path.join(stack.stateDir, 'data');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('comes up ready, with each step shown, and kubectl works', async () => {
    expect(stack.progress.join('\n')).toMatch(
      /✓ store ready[\s\S]*✓ kube-apiserver ready[\s\S]*✓ kube-controller-manager ready/,
    );
    const ns = await stack.kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'namespaces']);
    expect(ns.items.map((i) => i.metadata.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
    );
    const version = await stack.kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
    expect(version.serverVersion.gitVersion).toBe('v1.34.10');
  });

  it('reports a running stack on a second up instead of starting twins', async () => {
    const before = await status(stack.stateDir);
    const lines: string[] = [];
    const again = await up({ stateDir: stack.stateDir, ports: 'auto', say: (l) => lines.push(l) });
    expect(again.alreadyRunning).toBe(true);
    expect(lines.join('\n')).toContain('already running');
    const after = await status(stack.stateDir);
    expect(after.components.map((c) => c.pid)).toEqual(before.components.map((c) => c.pid));
    expect(after.components.every((c) => c.healthy)).toBe(true);
  });

  it('serves a CRD: create, get, label and field selectors, update, delete', async () => {
    await stack.kubectl(['apply', '-f', '-'], { input: SHIRTS_CRD });
    await stack.kubectl(['wait', '--for=condition=Established', 'crd/shirts.stable.example.com', '--timeout=60s']);
    await stack.kubectl(['create', 'namespace', 'wardrobe']);
    // The three shirts of examples/shirts/shirts.yaml (blue-s, blue-m, red-m), the workshop's own.
    await stack.kubectl(['create', '-n', 'wardrobe', '-f', SHIRTS_FILE]);
    const names = async (args: string[]) =>
      (await stack.kubectl(['get', 'shirts', '-n', 'wardrobe', '-o', 'name', ...args])).trim().split('\n').sort();
    expect(await names([])).toEqual([
      'shirt.stable.example.com/blue-m',
      'shirt.stable.example.com/blue-s',
      'shirt.stable.example.com/red-m',
    ]);
    expect(await names(['-l', 'size=M'])).toEqual([
      'shirt.stable.example.com/blue-m',
      'shirt.stable.example.com/red-m',
    ]);
    expect(await names(['--field-selector', 'spec.color=blue'])).toEqual([
      'shirt.stable.example.com/blue-m',
      'shirt.stable.example.com/blue-s',
    ]);
    expect(await names(['--field-selector', 'spec.color=blue,spec.size=M'])).toEqual([
      'shirt.stable.example.com/blue-m',
    ]);

    await stack.kubectl([
      'patch',
      'shirt',
      'red-m',
      '-n',
      'wardrobe',
      '--type=merge',
      '-p',
      '{"spec":{"color":"green"}}',
    ]);
    const patched = await stack.kubectlJson(['get', 'shirt', 'red-m', '-n', 'wardrobe']);
    expect(patched.spec.color).toBe('green');
    expect(patched.metadata.generation).toBe(2);
    await stack.kubectl(['delete', 'shirt', 'blue-s', '-n', 'wardrobe']);
    expect(await names([])).toEqual(['shirt.stable.example.com/blue-m', 'shirt.stable.example.com/red-m']);
  });

  it('streams watch events in order from a resourceVersion', async () => {
    // `kubectl get -o json` builds its List client-side without a resourceVersion: ask the API directly.
    const list = JSON.parse(
      await stack.kubectl(['get', '--raw', '/apis/stable.example.com/v1/namespaces/wardrobe/shirts']),
    );
    const rv = list.metadata.resourceVersion as string;
    expect(rv).toMatch(/^\d+$/);
    const child = spawn(stack.result.kubectl!, [
      '--kubeconfig',
      stack.result.kubeconfig,
      'get',
      '--raw',
      `/apis/stable.example.com/v1/namespaces/wardrobe/shirts?watch=1&resourceVersion=${rv}`,
    ]);
    const events: Array<{ type: string; name: string; color: string }> = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        events.push({ type: event.type, name: event.object.metadata.name, color: event.object.spec?.color });
      }
    });
    try {
      await stack.kubectl(['create', '-f', '-'], { input: shirt('black-l', 'black', 'L') });
      await stack.kubectl([
        'patch',
        'shirt',
        'black-l',
        '-n',
        'wardrobe',
        '--type=merge',
        '-p',
        '{"spec":{"color":"white"}}',
      ]);
      await stack.kubectl(['delete', 'shirt', 'black-l', '-n', 'wardrobe']);
      const deadline = Date.now() + 20_000;
      while (events.length < 3 && Date.now() < deadline) await sleep(100);
    } finally {
      child.kill();
    }
    expect(events).toEqual([
      { type: 'ADDED', name: 'black-l', color: 'black' },
      { type: 'MODIFIED', name: 'black-l', color: 'white' },
      { type: 'DELETED', name: 'black-l', color: 'white' },
    ]);
  });

  it('pages through 2,000 objects with limit/continue at one resourceVersion', async () => {
    await stack.kubectl(['create', 'namespace', 'paging']);
    const items = Array.from({ length: 2000 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${String(i).padStart(4, '0')}` },
      data: { i: String(i) },
    }));
    await stack.kubectl(['create', '-n', 'paging', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
      timeoutMs: 300_000,
    });

    const seen: string[] = [];
    const pageRvs = new Set<string>();
    let pages = 0;
    let token = '';
    do {
      const query = `limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const page = JSON.parse(await stack.kubectl(['get', '--raw', `/api/v1/namespaces/paging/configmaps?${query}`]));
      pages += 1;
      expect(page.items.length).toBeLessThanOrEqual(500);
      seen.push(...page.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      pageRvs.add(page.metadata.resourceVersion);
      token = page.metadata.continue ?? '';
    } while (token);
    const ours = seen.filter((n) => n.startsWith('cm-'));
    expect(ours).toHaveLength(2000);
    expect(new Set(ours).size).toBe(2000);
    expect(ours).toEqual([...ours].sort());
    expect(pages).toBe(5); // 2,000 ours + kube-root-ca.crt from the controller-manager
    expect(pageRvs.size).toBe(1);

    const chunked = (await stack.kubectl(['get', 'configmaps', '-n', 'paging', '--chunk-size=300', '-o', 'name']))
      .trim()
      .split('\n');
    expect(chunked.filter((n) => n.startsWith('configmap/cm-'))).toHaveLength(2000);
  });

  it('deletes a namespace with everything in it (namespace controller)', async () => {
    await stack.kubectl(['create', 'namespace', 'doomed']);
    await stack.kubectl(['create', 'configmap', 'c1', '-n', 'doomed', '--from-literal=a=b']);
    await stack.kubectl(['create', 'secret', 'generic', 's1', '-n', 'doomed', '--from-literal=a=b']);
    await stack.kubectl(['create', '-f', '-'], { input: shirt('doomed-shirt', 'grey', 'XL', 'doomed') });
    expect(liveKeys(dataDir, 'shirts.db', '/registry/stable.example.com/shirts/doomed/')).toHaveLength(1);

    await stack.kubectl(['delete', 'namespace', 'doomed', '--timeout=120s'], { timeoutMs: 150_000 });
    await expect(stack.kubectl(['get', 'namespace', 'doomed'])).rejects.toThrow(/NotFound/);
    expect(liveKeys(dataDir, 'shirts.db', '/registry/stable.example.com/shirts/doomed/')).toEqual([]);
    expect(liveKeys(dataDir, 'main.db', '/registry/configmaps/doomed/')).toEqual([]);
    expect(liveKeys(dataDir, 'main.db', '/registry/secrets/doomed/')).toEqual([]);
  });

  it('cascades a delete through ownerReferences (garbage collector)', async () => {
    await stack.kubectl(['create', 'configmap', 'parent', '-n', 'default', '--from-literal=a=b']);
    const parent = await stack.kubectlJson(['get', 'configmap', 'parent', '-n', 'default']);
    await stack.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'child',
          namespace: 'default',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: parent.metadata.uid }],
        },
        data: { a: 'b' },
      }),
    });
    await stack.kubectl(['delete', 'configmap', 'parent', '-n', 'default']);
    const deadline = Date.now() + 60_000;
    let childGone = false;
    while (!childGone && Date.now() < deadline) {
      childGone =
        (
          await stack.kubectl(['get', 'configmap', 'child', '-n', 'default', '--ignore-not-found', '-o', 'name'])
        ).trim() === '';
      if (!childGone) await sleep(500);
    }
    expect(childGone).toBe(true);
  });

  it('stores events with a TTL lease', async () => {
    await stack.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'scenario.1', namespace: 'default' },
        involvedObject: { kind: 'Namespace', name: 'default', apiVersion: 'v1' },
        reason: 'Scenario',
        message: 'an event with a TTL',
        type: 'Normal',
      }),
    });
    const lease = leaseOfKey(dataDir, 'main.db', '/registry/events/default/scenario.1');
    expect(lease).not.toBeNull();
    // --event-ttl defaults to 1h; the apiserver rounds leases up to share them for a minute.
    expect(lease!.ttl).toBeGreaterThanOrEqual(3600);
    expect(lease!.ttl).toBeLessThanOrEqual(3600 + 120);
  });

  it('routes each resource to the backend its topology names (read from the SQLite files)', async () => {
    expect(liveKeys(dataDir, 'shirts.db', '/registry/stable.example.com/shirts/wardrobe/')).toEqual([
      '/registry/stable.example.com/shirts/wardrobe/blue-m',
      '/registry/stable.example.com/shirts/wardrobe/red-m',
    ]);
    expect(liveKeys(dataDir, 'main.db', '/registry/stable.example.com/')).toEqual([]);
    expect(liveKeys(dataDir, 'main.db', '/registry/configmaps/paging/').length).toBeGreaterThanOrEqual(2000);
    expect(liveKeys(dataDir, 'shirts.db', '/registry/configmaps/')).toEqual([]);
    for (const file of ['tenants.db', 'users.db', 'emails.db']) expect(liveKeys(dataDir, file, '/')).toEqual([]);
    const report = await status(stack.stateDir);
    expect(report.backendKeys).toMatchObject({ shirts: 2, tenants: 0, users: 0, emails: 0 });
    expect(report.backendKeys!.main).toBeGreaterThan(2000);
  });
});
