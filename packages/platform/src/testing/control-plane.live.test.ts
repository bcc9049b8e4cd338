/**
 * The test fixture against the real thing: a CRD given as an object is
 * served, an object of it round-trips through kube-apiserver and the store
 * (status subresource included), and stop() leaves no process and no temp dir.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane, widgetCrd } from './index.js';
import { runKubectl } from '../kubectl.js';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';

const WIDGET_CRD = widgetCrd({
  schema: {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { size: { type: 'integer' } } },
      status: { type: 'object', properties: { seen: { type: 'integer' } } },
    },
  },
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startControlPlane', () => {
  let cp: TestControlPlane;
  const started = Date.now();
  let bootMs = 0;

  beforeAll(async () => {
    cp = await startControlPlane({ crds: [WIDGET_CRD] });
    bootMs = Date.now() - started;
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('boots the store and kube-apiserver only, quickly, on loopback', () => {
    expect(Object.keys(cp.pids()).sort()).toEqual(['kube-apiserver', 'store']);
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.kubeConfig.getCurrentCluster()?.server).toBe(cp.server);
    expect(bootMs).toBeLessThan(60_000);
  });

  it('serves the CRD and round-trips an object, status included', async () => {
    const base = `/apis/example.dev/v1/namespaces/default/widgets`;
    const created = await request(cp, 'POST', base, {
      apiVersion: 'example.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 3 },
    });
    expect(created.status).toBe(201);
    const patched = await request(cp, 'PATCH', `${base}/w1/status`, { status: { seen: 3 } });
    expect(patched.status).toBe(200);
    const got = await request(cp, 'GET', `${base}/w1`);
    expect(got.status).toBe(200);
    expect(got.body.spec).toEqual({ size: 3 });
    expect(got.body.status).toEqual({ seen: 3 });
  });

  it('issues a kubeconfig for another identity, which RBAC then judges as that user', async () => {
    const file = await cp.kubeconfigFor('someone', ['some-group']);
    const res = await runKubectl({ kubectl: cp.kubectl, kubeconfig: file, args: ['auth', 'whoami', '-o', 'json'] });
    expect(res.code).toBe(0);
    const review = JSON.parse(res.stdout);
    expect(review.status.userInfo.username).toBe('someone');
    expect(review.status.userInfo.groups).toContain('some-group');
    const denied = await runKubectl({
      kubectl: cp.kubectl,
      kubeconfig: file,
      args: ['get', 'widgets', '-n', 'default'],
    });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('forbidden');
  });

  it('stop() ends every process it started and removes its temp dir', async () => {
    const pids = Object.values(cp.pids()).filter((p): p is number => p !== null);
    expect(pids).toHaveLength(2);
    const ticks = pids.map((p) => processStartTicks(p));
    expect(existsSync(cp.stateDir)).toBe(true);
    await cp.stop();
    for (const [i, pid] of pids.entries()) {
      // Gone, or the pid now belongs to another process (a different start time).
      expect(alive(pid) && processStartTicks(pid) === ticks[i]).toBe(false);
    }
    expect(existsSync(cp.stateDir)).toBe(false);
  });
});

describe('startControlPlane with a CRD the apiserver refuses', () => {
  it("rejects naming the CRD and the apiserver's reason, and leaves no process and no temp dir", async () => {
    const ours = () => new Set(readdirSync(tmpdir()).filter((e) => e.startsWith('cnpaas-cp-')));
    const before = ours();
    const broken = { ...WIDGET_CRD, metadata: { name: 'not-the-plural.example.dev' } };
    const error = await startControlPlane({ crds: [broken] }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'CNPAAS_PLATFORM_COMPONENT_FAILED' });
    expect((error as Error).message).toContain('CustomResourceDefinition not-the-plural.example.dev');
    expect((error as Error).message).toMatch(/must be spec\.names\.plural\+"\."\+spec\.group/);
    expect([...ours()].filter((d) => !before.has(d))).toEqual([]);
    // No process runs from a fixture dir that was not there before (the store and kube-apiserver name theirs in argv).
    const strays = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .flatMap((pid) => {
        try {
          return [/cnpaas-cp-[A-Za-z0-9]+/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[0]];
        } catch {
          return []; // gone meanwhile
        }
      })
      .filter((dir): dir is string => dir !== undefined && !before.has(dir));
    expect(strays).toEqual([]);
  });
});

/** One request with the fixture's admin credentials, through client-node's TLS options. */
async function request(
  cp: TestControlPlane,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const opts: https.RequestOptions = { method, headers: {} };
  await cp.kubeConfig.applyToHTTPSOptions(opts);
  const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${cp.server}${urlPath}`,
      { ...opts, headers: { ...opts.headers, 'content-type': contentType } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
