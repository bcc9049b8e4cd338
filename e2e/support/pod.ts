/**
 * Runs a Deployment's container as its pod would, without a node: the
 * image's entry point (read from the Dockerfile) with the container's
 * arguments and environment; its Secret, ConfigMap and emptyDir volumes
 * written under a private root at their mount paths; a ServiceAccount token
 * made with the TokenRequest API, the cluster CA and the namespace where a pod
 * finds them; and KUBERNETES_SERVICE_HOST/PORT naming the apiserver. The
 * component's own in-cluster code path loads all of it (`CNPAAS_POD_ROOT`
 * tells it where the root is).
 *
 * What a node would do differently, and why it does not matter here: ports a
 * container listens on are moved to free loopback ports (several "pods" share
 * this machine), and the Services in front of them are made ExternalNames to
 * localhost by the caller (no kube-proxy here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@cnpaas/kube';
import { freePort } from '@cnpaas/service-kit';
import { imageTargets } from './dockerfile.js';
import { waitFor } from '@cnpaas/service-kit/testing';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SA_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Probe = { httpGet?: { path: string; port: string | number; scheme?: string }; exec?: { command: string[] } };
export type Container = {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  readinessProbe?: Probe;
};
type Volume = {
  name: string;
  secret?: { secretName: string };
  configMap?: { name: string };
  emptyDir?: object;
};
export type Deployment = {
  metadata: { name: string; namespace: string };
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        automountServiceAccountToken?: boolean;
        containers: Container[];
        volumes?: Volume[];
      };
    };
  };
};

/** A GET that answers 2xx; like the kubelet's probe, it does not verify the certificate. */
function probeOk(url: string): Promise<boolean> {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve) => {
    const req = get(url, { rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export interface RunningPod {
  name: string;
  process: ChildProcess;
  /** Container port (or host:port the container listens on) → local port. */
  ports: Map<number, number>;
  root: string;
  output: string[];
  stop(): Promise<void>;
}

export interface RunPodOptions {
  deployment: Deployment;
  /** An admin client: reads the Secrets and ConfigMaps, asks for the token. */
  admin: KubeClient;
  apiserver: { host: string; port: number; caPem: string };
  /** Each pod's root is made under here. */
  dir: string;
  /** Arguments a node would not need but this machine does (e.g. the trigger's loopback allowance). */
  extraArgs?: string[];
  /** Local ports chosen beforehand, by container port (one the apiserver must know before it starts). */
  ports?: Map<number, number>;
}

export async function runPod(options: RunPodOptions): Promise<RunningPod> {
  const { deployment, admin } = options;
  const { namespace, name } = deployment.metadata;
  const spec = deployment.spec.template.spec;
  const container = spec.containers[0]!;
  const root = path.join(options.dir, name);
  const mounts = container.volumeMounts ?? [];

  for (const mount of mounts) {
    const volume = spec.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`${name}: volume ${mount.name} is not defined`);
    const dir = path.join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    if (volume.secret) {
      const secret = await admin.json<{ data?: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/secrets/${volume.secret.secretName}`,
      });
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        writeFileSync(path.join(dir, key), Buffer.from(value, 'base64'), { mode: 0o600 });
      }
    } else if (volume.configMap) {
      const configMap = await admin.json<{ data?: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/configmaps/${volume.configMap.name}`,
      });
      for (const [key, value] of Object.entries(configMap.data ?? {})) writeFileSync(path.join(dir, key), value);
    }
  }

  if (spec.automountServiceAccountToken !== false) {
    const account = spec.serviceAccountName ?? 'default';
    const request = await admin.json<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    const sa = path.join(root, SA_DIR);
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), request.status.token, { mode: 0o600 });
    writeFileSync(path.join(sa, 'ca.crt'), options.apiserver.caPem);
    writeFileSync(path.join(sa, 'namespace'), namespace);
  }

  // A path under a mount is a path under the pod's root; an address the container listens on is a free local port.
  const ports = new Map<number, number>(options.ports ?? []);
  const local = async (value: string): Promise<string> => {
    for (const mount of mounts) {
      if (value === mount.mountPath || value.startsWith(`${mount.mountPath}/`)) return path.join(root, value);
    }
    const listen = /^(0\.0\.0\.0|127\.0\.0\.1):(\d+)$/.exec(value);
    if (listen) {
      const port = Number(listen[2]);
      if (!ports.has(port)) ports.set(port, await freePort());
      return `127.0.0.1:${ports.get(port)}`;
    }
    return value;
  };
  const image = container.image.replace(/^.*\//, '').replace(/:.*$/, '');
  const target = imageTargets().find((t) => t.image === image);
  if (!target) throw new Error(`${name}: the Dockerfile builds no image ${image}`);
  const [node, script, ...imageArgs] = target.entrypoint;
  if (node !== 'node') throw new Error(`${name}: the entry point does not start with node`);
  const args: string[] = [];
  for (const a of [...imageArgs, ...(container.args ?? []), ...(options.extraArgs ?? [])]) args.push(await local(a));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    KUBERNETES_SERVICE_HOST: options.apiserver.host,
    KUBERNETES_SERVICE_PORT: String(options.apiserver.port),
    CNPAAS_POD_ROOT: root,
  };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = await local(e.value);
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      // As the kubelet does: the key's value from the Secret, or the pod does not start.
      const secret = await admin.json<{ data?: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/secrets/${ref.name}`,
      });
      const value = secret.data?.[ref.key];
      if (value === undefined) throw new Error(`${name}: Secret ${ref.name} has no key ${ref.key} for $${e.name}`);
      env[e.name] = Buffer.from(value, 'base64').toString('utf8');
    }
  }
  for (const p of container.ports ?? []) {
    if (!ports.has(p.containerPort)) throw new Error(`${name}: port ${p.containerPort} is not in its arguments`);
  }

  const output: string[] = [];
  const child = spawn(process.execPath, [path.join(REPO, script!), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));

  const probe = container.readinessProbe;
  const url = ((): string => {
    if (probe?.httpGet) {
      const named = container.ports?.find((p) => p.name === probe.httpGet!.port)?.containerPort;
      const port = ports.get(named ?? Number(probe.httpGet.port));
      return `${(probe.httpGet.scheme ?? 'HTTP').toLowerCase()}://127.0.0.1:${port}${probe.httpGet.path}`;
    }
    const inExec = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(probe?.exec?.command.join(' ') ?? '');
    if (!inExec) throw new Error(`${name}: no readiness probe this runner understands`);
    return `http://127.0.0.1:${ports.get(Number(inExec[1]))}${inExec[2]}`;
  })();
  await waitFor(
    `${name} ready at ${url}`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`${name} exited ${child.exitCode}:\n${output.join('').slice(-2000)}`);
      return (await probeOk(url)) || undefined;
    },
    60_000,
  );

  return {
    name,
    process: child,
    ports,
    root,
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
