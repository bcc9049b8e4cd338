import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ComponentDescriptor, ServiceComposition } from '@cnpaas/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureClusterPki, type ClusterPki } from './cluster-pki.js';
import { composeServices } from './compose.js';
import type { LoadedService } from './compositions.js';
import { FIXED_PORTS } from './ports.js';
import { ensureStateDirs, statePaths, type StatePaths } from './state-dir.js';

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function descriptor(name: string, port: number): ComponentDescriptor {
  return {
    name,
    command: ['/bin/true'],
    env: {},
    healthUrl: `https://127.0.0.1:${port}/healthz`,
    readyUrl: `https://127.0.0.1:${port}/readyz`,
    metricsUrl: `https://127.0.0.1:${port}/metrics`,
    manifests: { beforeStart: ['/crd.yaml'], afterReady: ['/webhook.yaml'] },
    certificates: [],
  };
}

function loaded(composition: ServiceComposition): LoadedService {
  return { spec: composition.name, entry: `/${composition.name}.js`, composition };
}

describe('composing services', () => {
  let root: string;
  let paths: StatePaths;
  let pki: ClusterPki;
  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'cnpaas-compose-'));
    paths = statePaths(root);
    ensureStateDirs(paths);
    pki = await ensureClusterPki(paths.pki);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const base = (services: LoadedService[], ports: Record<string, number> = {}) => ({
    services,
    paths,
    pki,
    ports: { ...FIXED_PORTS, ...ports },
    server: 'https://127.0.0.1:6443',
    topology: '/topology.yaml',
  });

  it('hands a service its ports, certificates from the cluster CA, a kubeconfig per identity and kept secret files', async () => {
    let seen: Record<string, unknown> = {};
    const widgets: ServiceComposition = {
      name: 'widgets',
      ports: { widgetsWebhook: 9555 },
      async components(ctx) {
        const serving = await ctx.issue({
          name: 'widgets-serving',
          commonName: 'widgets',
          usage: 'server',
          ipAddresses: ['127.0.0.1'],
        });
        const secret = ctx.secretFile({ name: 'widgets-token', make: () => 'first\n' });
        ctx.secretFile({ name: 'widgets-token', make: () => 'second\n' });
        ctx.admitFrom(`127.0.0.1:${ctx.ports['widgetsWebhook']}`);
        seen = {
          ports: ctx.ports,
          serving,
          secret,
          kubeconfig: await ctx.kubeconfigFor('widgets'),
          manifest: ctx.writeManifest('widgets-webhook.yaml', 'kind: List\n'),
          dir: ctx.dir('widgets-data'),
          storeMetricsUrl: ctx.storeMetricsUrl,
        };
        return [{ descriptor: descriptor('widgets', ctx.ports['widgetsWebhook']!) }];
      },
    };
    const stack = await composeServices(base([loaded(widgets)], { widgetsWebhook: 19555 }));

    expect(seen['ports']).toEqual({ widgetsWebhook: 19555 });
    expect(seen['storeMetricsUrl']).toBe(`http://127.0.0.1:${FIXED_PORTS.storeMetrics}/metrics`);
    const serving = seen['serving'] as { cert: string; key: string };
    expect(openssl('verify', '-CAfile', pki.ca.files.cert, serving.cert).trim()).toBe(`${serving.cert}: OK`);
    expect(statSync(serving.key).mode & 0o777).toBe(0o600);
    const secret = seen['secret'] as string;
    expect(readFileSync(secret, 'utf8')).toBe('first\n');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    const kubeconfig = parse(readFileSync(seen['kubeconfig'] as string, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
      users: Array<{ name: string; user: { 'client-certificate': string } }>;
    };
    expect(kubeconfig.clusters[0]!.cluster.server).toBe('https://127.0.0.1:6443');
    const clientCert = kubeconfig.users[0]!.user['client-certificate'];
    expect(openssl('x509', '-in', clientCert, '-noout', '-subject')).toContain('CN = widgets');
    expect(statSync(seen['manifest'] as string).mode & 0o777).toBe(0o600);
    expect(seen['dir']).toBe(path.join(root, 'widgets-data'));

    // The spec: the descriptor's command and manifests, ready checked against the cluster CA, 60 s to start.
    expect(stack.specs).toEqual([
      {
        name: 'widgets',
        command: ['/bin/true'],
        env: {},
        readyUrl: 'https://127.0.0.1:19555/readyz',
        readyCaFile: pki.ca.files.cert,
        readyTimeoutMs: 60_000,
        manifests: { beforeStart: ['/crd.yaml'], afterReady: ['/webhook.yaml'] },
      },
    ]);
    // kube-apiserver presents its webhook client certificate to the admitted host:port.
    const admission = readFileSync(stack.admissionConfigFile!, 'utf8');
    expect(admission).toContain('ValidatingAdmissionWebhook');
    const webhookKubeconfig = readFileSync(path.join(paths.pki, 'apiserver-webhook-client.kubeconfig'), 'utf8');
    expect(webhookKubeconfig).toContain('127.0.0.1:19555');
    expect(
      openssl('x509', '-in', path.join(paths.pki, 'apiserver-webhook-client.crt'), '-noout', '-subject'),
    ).toContain('CN = kube-apiserver-webhook-client');
  });

  it('writes no admission configuration when no service runs a webhook', async () => {
    const quiet: ServiceComposition = { name: 'quiet', ports: {}, components: () => Promise.resolve([]) };
    expect(await composeServices(base([loaded(quiet)]))).toEqual({ specs: [], admissionConfigFile: null });
  });

  it("refuses a file two services claim, and the platform's own PKI names", async () => {
    const claimer = (name: string, file: string): ServiceComposition => ({
      name,
      ports: {},
      components: (ctx) => {
        ctx.writeManifest(file, 'x');
        return Promise.resolve([]);
      },
    });
    await expect(
      composeServices(base([loaded(claimer('a', 'same.yaml')), loaded(claimer('b', 'same.yaml'))])),
    ).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: 'b and a both use manifest "same.yaml"',
    });
    const greedy: ServiceComposition = {
      name: 'greedy',
      ports: {},
      components: async (ctx) => {
        await ctx.issue({ name: 'ca', commonName: 'mine', usage: 'server' });
        return [];
      },
    };
    await expect(composeServices(base([loaded(greedy)]))).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: 'greedy and the platform both use pki file "ca"',
    });
  });
});
