/**
 * What `cnpaas kind-config` writes for scripts/kind/up.sh, checked without
 * Docker: every certificate chains to the CA it should and names what it
 * should; kind's configuration points kubeadm at the store over mTLS and at
 * the admission configuration, by paths that exist in the node's mount; no CA
 * key is in a mounted directory; and a real cnpaas-store, started with the
 * container's TLS flags and the generated files, serves the apiserver's etcd
 * client certificate and refuses a client without one or with another CA's.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort } from '@cnpaas/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service as webshop } from '@cnpaas/webshop';
import { NODE_DIR, webhookHosts, writeKindFiles, type KindFiles } from './kind-files.js';

const run = promisify(execFile);
const STORE_BIN = fileURLToPath(new URL('../../../storage-shim/bin/cnpaas-store.js', import.meta.url));

let dir: string;
let files: KindFiles;
let store: ChildProcess | undefined;

const cert = (file: string) => new X509Certificate(readFileSync(file));
/** The host path of a path the node sees under /etc/cnpaas. */
const onHost = (nodePath: string) => path.join(dir, 'node', path.posix.relative(NODE_DIR, nodePath));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-kind-'));
  files = await writeKindFiles({
    dir,
    clusterName: 'demo',
    storeHost: 'cnpaas-store',
    nodeImage: 'kindest/node:v1.34.10',
    // The default service's, as cnpaas kind-config finds them.
    webhookHosts: webhookHosts([webshop.cluster!]),
  });
});

afterAll(() => {
  if (store?.pid && store.exitCode === null) store.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('cnpaas kind-config', () => {
  it('issues the store a certificate for its container name, and kube-apiserver clients from the right CAs', () => {
    const storeCa = cert(files.store.ca);
    const store = cert(files.store.cert);
    expect(store.verify(storeCa.publicKey)).toBe(true);
    expect(store.subjectAltName).toContain('DNS:cnpaas-store');
    expect(cert(files.etcdClient.cert).verify(storeCa.publicKey)).toBe(true);
    const webhookCa = cert(files.webhookClientCa);
    const webhookClient = cert(path.join(dir, 'node', 'apiserver-webhook-client.crt'));
    expect(webhookClient.verify(webhookCa.publicKey)).toBe(true);
    expect(webhookClient.subject).toContain('CN=kube-apiserver-webhook-client');
    expect(webhookClient.verify(storeCa.publicKey)).toBe(false);
  });

  it('keeps the CA keys out of every mounted directory', () => {
    for (const mounted of ['node', 'store']) {
      const keys = readdirSync(path.join(dir, mounted)).filter((f) => f.endsWith('.key'));
      expect(
        keys.some((k) => k.includes('ca')),
        `${mounted}: ${keys.join(', ')}`,
      ).toBe(false);
    }
    expect(existsSync(path.join(dir, 'ca', 'store-ca.key'))).toBe(true);
  });

  it('points kubeadm at the store over mTLS and at the admission configuration, by paths the node has', () => {
    const config = parse(readFileSync(files.kindConfig, 'utf8')) as {
      name: string;
      nodes: Array<{
        image: string;
        extraMounts: Array<{ hostPath: string; containerPath: string; readOnly: boolean }>;
      }>;
      kubeadmConfigPatches: string[];
    };
    expect(config.name).toBe('demo');
    expect(config.nodes[0]!.image).toBe('kindest/node:v1.34.10');
    expect(config.nodes[0]!.extraMounts).toEqual([
      { hostPath: path.join(dir, 'node'), containerPath: NODE_DIR, readOnly: true },
    ]);
    const patch = parse(config.kubeadmConfigPatches[0]!) as {
      etcd: { external: { endpoints: string[]; caFile: string; certFile: string; keyFile: string } };
      apiServer: { extraArgs: Record<string, string>; extraVolumes: Array<{ hostPath: string; mountPath: string }> };
    };
    expect(patch.etcd.external.endpoints).toEqual(['https://cnpaas-store:2379']);
    for (const file of [patch.etcd.external.caFile, patch.etcd.external.certFile, patch.etcd.external.keyFile]) {
      expect(existsSync(onHost(file)), file).toBe(true);
    }
    expect(readFileSync(onHost(patch.etcd.external.caFile), 'utf8')).toBe(readFileSync(files.store.ca, 'utf8'));
    const admission = parse(
      readFileSync(onHost(patch.apiServer.extraArgs['admission-control-config-file']!), 'utf8'),
    ) as {
      plugins: Array<{ name: string; configuration: { kubeConfigFile: string } }>;
    };
    expect(admission.plugins.map((p) => p.name).sort()).toEqual([
      'MutatingAdmissionWebhook',
      'ValidatingAdmissionWebhook',
    ]);
    const kubeconfig = parse(readFileSync(onHost(admission.plugins[0]!.configuration.kubeConfigFile), 'utf8')) as {
      users: Array<{ name: string; user: Record<string, string> }>;
    };
    expect(kubeconfig.users.map((u) => u.name)).toEqual([
      'cnpaas-webhooks.cnpaas-system.svc',
      'cnpaas-webhooks.cnpaas-system.svc:443',
    ]);
    for (const u of kubeconfig.users) {
      expect(existsSync(onHost(u.user['client-certificate']!))).toBe(true);
      expect(existsSync(onHost(u.user['client-key']!))).toBe(true);
    }
    expect(patch.apiServer.extraVolumes).toEqual([
      expect.objectContaining({ hostPath: NODE_DIR, mountPath: NODE_DIR }),
    ]);
  });

  it("lets a real store with the container's TLS flags serve the apiserver's client and no one else", async () => {
    const port = await freePort();
    store = spawn(
      process.execPath,
      [
        STORE_BIN,
        '--data-dir',
        path.join(dir, 'store-data'),
        '--listen-client-urls',
        `https://127.0.0.1:${port}`,
        '--cert-file',
        files.store.cert,
        '--key-file',
        files.store.key,
        '--trusted-ca-file',
        files.store.ca,
        '--client-cert-auth',
        '--unsafe-no-fsync',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const etcdctl = (args: string[], client?: { cert: string; key: string }) =>
      run(
        'etcdctl',
        [
          `--endpoints=https://localhost:${port}`,
          `--cacert=${files.store.ca}`,
          '--dial-timeout=2s',
          '--command-timeout=3s',
          ...(client ? [`--cert=${client.cert}`, `--key=${client.key}`] : []),
          ...args,
        ],
        { env: { ...process.env, ETCDCTL_API: '3' } },
      );
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await etcdctl(['put', '/registry/kind-check', 'ok'], files.etcdClient);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const { stdout } = await etcdctl(['get', '/registry/kind-check', '--print-value-only'], files.etcdClient);
    expect(stdout.trim()).toBe('ok');
    await expect(etcdctl(['get', '/registry/kind-check'])).rejects.toThrow();
    const otherCa = {
      cert: path.join(dir, 'node', 'apiserver-webhook-client.crt'),
      key: path.join(dir, 'node', 'apiserver-webhook-client.key'),
    };
    await expect(etcdctl(['get', '/registry/kind-check'], otherCa)).rejects.toThrow();
  }, 60_000);
});
