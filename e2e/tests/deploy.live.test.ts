/**
 * The cluster manifests under deploy/ hold up against a real kube-apiserver:
 * each overlay renders with the pinned kubectl's Kustomize, and every object
 * it renders passes server-side dry-run (the CRDs and the namespace applied
 * first, for real, as an installer must), with no Pod Security warning under
 * the restricted profile the namespace enforces. Beside that, the shape a
 * cluster needs: every Deployment has an image built by the Dockerfile, a
 * ServiceAccount, a PodDisruptionBudget, a NetworkPolicy, probes, resources
 * and a restricted securityContext; every binding names a ServiceAccount;
 * every package manifest is in the bases or named here as local-only.
 *
 * No pods run here (the control plane has no nodes): this proves objects,
 * not containers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runKubectl } from '@cnpaas/platform';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTargets } from '../support/dockerfile.js';
import { step } from '../support/narrate.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const OVERLAYS = ['cluster', 'kind'] as const;
const SYSTEM_NAMESPACE = 'cnpaas-system';
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Package manifests that are not cluster objects in the bases, and why. */
const NOT_IN_BASES: Record<string, string> = {
  'api-server/manifests/service.yaml':
    'the local ExternalName to localhost; a cluster has deploy/base/api-server/service.yaml',
  'functions/manifests/email-trigger.yaml': "per install: the function's URL and CA bundle",
  'functions/manifests/email-trigger-delivery-secret.yaml': 'per install: a client certificate',
  'platform/manifests/audit-policy.yaml': "kube-apiserver's audit policy file, not an API object",
};

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};
type Container = {
  name: string;
  image: string;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
};
type PodSpec = {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
};

let stack: TestControlPlane;
const rendered = new Map<string, { text: string; objects: Obj[] }>();

async function kubectl(args: string[], input?: string) {
  return runKubectl({
    kubectl: stack.kubectl,
    kubeconfig: stack.kubeconfig,
    args,
    ...(input === undefined ? {} : { input }),
  });
}

function parse(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const podSpec = (d: Obj) => (d['spec'] as { template: { spec: PodSpec } }).template.spec;
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Dockerfile component targets and the image name each builds. */
function dockerTargets(): Map<string, string> {
  return new Map(imageTargets().map((t) => [t.target, t.image]));
}

/** `bash scripts/image/build.sh TARGET NAME` commands of every package's nx `image` target. */
function packageImageTargets(): Array<{ pkg: string; target: string; name: string }> {
  const out: Array<{ pkg: string; target: string; name: string }> = [];
  for (const pkg of readdirSync(path.join(REPO, 'packages'))) {
    const file = path.join(REPO, 'packages', pkg, 'package.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      nx?: { targets?: { image?: { options: { commands: string[] } } } };
    };
    for (const command of json.nx?.targets?.image?.options.commands ?? []) {
      const m = /^bash scripts\/image\/build\.sh ([a-z-]+) ([a-z-]+)$/.exec(command);
      expect(m, `${pkg}: ${command}`).not.toBeNull();
      out.push({ pkg, target: m![1]!, name: m![2]! });
    }
  }
  return out;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    if (statSync(full).isDirectory()) return yamlFilesUnder(full);
    return f.endsWith('.yaml') && f !== 'kustomization.yaml' ? [full] : [];
  });
}

beforeAll(async () => {
  step('a control plane on cnpaas-store for server-side dry-runs');
  stack = await startControlPlane();
  for (const overlay of OVERLAYS) {
    const res = await kubectl(['kustomize', path.join(REPO, 'deploy/overlays', overlay)]);
    expect(res.code, res.stderr).toBe(0);
    rendered.set(overlay, { text: res.stdout, objects: parse(res.stdout) });
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Single-replica Deployments nothing depends on: a PodDisruptionBudget would only block a node drain. */
const WITHOUT_PDB: Record<string, string> = {
  'cnpaas-smtp': "the demo's mail sink",
  'cnpaas-console': 'the web console',
};

describe.each(OVERLAYS)('deploy/overlays/%s', (overlay) => {
  const objects = () => rendered.get(overlay)!.objects;
  const find = (kind: string, name: string) => objects().find((o) => o.kind === kind && o.metadata.name === name);

  it('renders every component with no unfilled {{PLACEHOLDER}}', () => {
    const { text } = rendered.get(overlay)!;
    expect(text).not.toMatch(/\{\{[A-Z_]+\}\}/);
    const deployments = objects()
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata.name)
      .sort();
    expect(deployments).toEqual([
      'cnpaas-api-server',
      'cnpaas-console',
      'cnpaas-email-function',
      'cnpaas-operator',
      'cnpaas-smtp',
      'cnpaas-trigger',
      'cnpaas-webhooks',
    ]);
  });

  it('passes server-side dry-run against a live kube-apiserver, with no Pod Security warning', async () => {
    const all = objects();
    // What an installer applies first for real: the namespace and the CRDs the custom resources need.
    const first = all.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
    expect(first.length).toBeGreaterThan(1);
    const prerequisites = first.map((o) => JSON.stringify(o)).join('\n');
    const applied = await kubectl(['apply', '--server-side', '--field-manager=cnpaas-test', '-f', '-'], prerequisites);
    expect(applied.code, applied.stderr).toBe(0);
    const established = await kubectl(
      ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=cnpaas'],
      undefined,
    );
    expect(established.code, established.stderr).toBe(0);

    const dry = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=cnpaas-test', '-f', '-'],
      rendered.get(overlay)!.text,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toMatch(/PodSecurity|would violate/);
    for (const o of all) {
      expect(dry.stdout, `${o.kind}/${o.metadata.name}`).toContain(`/${o.metadata.name} serverside-applied`);
    }
  });

  it('gives every Deployment an image the Dockerfile builds, its own ServiceAccount, a PDB and a NetworkPolicy', () => {
    const titles = new Set(dockerTargets().values());
    for (const d of objects().filter((o) => o.kind === 'Deployment')) {
      const spec = podSpec(d);
      const labels = (d['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
        .labels;
      expect(d.metadata.namespace).toBe(SYSTEM_NAMESPACE);
      for (const c of spec.containers) {
        const m = /^cnpaas\/([a-z-]+):(.+)$/.exec(c.image);
        expect(m, c.image).not.toBeNull();
        expect(titles, `${d.metadata.name}: no Dockerfile target titled ${m![1]}`).toContain(m![1]);
        expect(m![2], `${c.image} is not the workspace version`).toBe(VERSION);
      }
      expect(spec.serviceAccountName, d.metadata.name).toBe(d.metadata.name);
      expect(
        find('ServiceAccount', spec.serviceAccountName!),
        `ServiceAccount ${spec.serviceAccountName}`,
      ).toBeDefined();
      const pdbs = objects().filter(
        (o) =>
          o.kind === 'PodDisruptionBudget' &&
          selects((o['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, labels),
      );
      expect(pdbs.length, `PodDisruptionBudget for ${d.metadata.name}`).toBe(d.metadata.name in WITHOUT_PDB ? 0 : 1);
      const policies = objects().filter(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          selects(
            (o['spec'] as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels,
            labels,
          ),
      );
      expect(policies.length, `NetworkPolicy for ${d.metadata.name}`).toBe(1);
    }
  });

  it('runs every container restricted: non-root, no privilege escalation, all capabilities dropped, read-only root', () => {
    for (const d of objects().filter((o) => o.kind === 'Deployment')) {
      const spec = podSpec(d);
      expect(spec.securityContext, d.metadata.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of spec.containers) {
        const where = `${d.metadata.name}/${c.name}`;
        expect(c.securityContext, where).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.livenessProbe, where).toBeDefined();
        expect(c.readinessProbe, where).toBeDefined();
        expect(c.resources?.requests?.['cpu'], where).toBeDefined();
        expect(c.resources?.requests?.['memory'], where).toBeDefined();
        expect(c.resources?.limits?.['memory'], where).toBeDefined();
      }
    }
    expect(find('Namespace', SYSTEM_NAMESPACE)?.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('binds only ServiceAccounts of cnpaas-system that it creates: no client-certificate User is left', () => {
    const bindings = objects().filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    expect(bindings.length).toBeGreaterThan(4);
    for (const b of bindings) {
      for (const s of b['subjects'] as Array<{ kind: string; name: string; namespace?: string }>) {
        expect(s.kind, `${b.kind}/${b.metadata.name}`).toBe('ServiceAccount');
        expect(s.namespace).toBe(SYSTEM_NAMESPACE);
        expect(find('ServiceAccount', s.name), `ServiceAccount ${s.name}`).toBeDefined();
      }
    }
    const policy = find('ValidatingAdmissionPolicy', 'cnpaas-operator-confinement')!;
    expect(JSON.stringify(policy['spec'])).toContain("'system:serviceaccount:cnpaas-system:cnpaas-operator'");
  });

  it('points the webhook configurations and the APIService at Services it creates, on a port they serve', () => {
    const services: Array<{ name: string; namespace: string; port: number }> = [];
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const config = find(kind, 'cnpaas-webhooks')!;
      for (const w of config['webhooks'] as Array<{ clientConfig: { service: (typeof services)[0] } }>) {
        services.push(w.clientConfig.service);
      }
    }
    services.push(
      (find('APIService', 'v1.api.webshop.cnpaas.dev')!['spec'] as { service: (typeof services)[0] }).service,
    );
    for (const ref of services) {
      const svc = find('Service', ref.name);
      expect(svc, `Service ${ref.name}`).toBeDefined();
      expect(svc!.metadata.namespace).toBe(ref.namespace);
      expect((svc!['spec'] as { ports: Array<{ port: number }> }).ports.map((p) => p.port)).toContain(ref.port);
    }
  });
});

describe('images and manifests agree', () => {
  it('builds every Dockerfile component target from exactly one package, and nothing else', () => {
    const targets = dockerTargets();
    expect([...targets.keys()].sort()).toEqual([
      'api-server',
      'console',
      'email-function',
      'operator',
      'smtp',
      'store',
      'trigger',
      'webhooks',
    ]);
    const images = packageImageTargets();
    expect(images.map((i) => i.target).sort()).toEqual([...targets.keys()].sort());
    for (const image of images) expect(targets.get(image.target), image.target).toBe(image.name);
  });

  it('deploys every image: in the bases, or (the store) as the datastore outside the cluster', () => {
    const deployed = new Set(
      rendered
        .get('cluster')!
        .objects.filter((o) => o.kind === 'Deployment')
        .flatMap((d) => podSpec(d).containers.map((c) => /^cnpaas\/([a-z-]+):/.exec(c.image)![1]!)),
    );
    for (const name of dockerTargets().values()) {
      if (name === 'cnpaas-store') continue; // kube-apiserver's etcd: it runs beside the cluster (scripts/kind).
      expect(deployed, name).toContain(name);
    }
  });

  it('includes every package manifest in the bases, except those named local-only with a reason', () => {
    const listed = new Set<string>();
    for (const pkg of readdirSync(path.join(REPO, 'packages'))) {
      const kustomization = path.join(REPO, 'packages', pkg, 'manifests', 'kustomization.yaml');
      let text: string;
      try {
        text = readFileSync(kustomization, 'utf8');
      } catch {
        continue;
      }
      for (const file of (parse(text)[0] as unknown as { resources: string[] }).resources) {
        listed.add(`${pkg}/manifests/${file}`);
      }
    }
    const packageManifests = readdirSync(path.join(REPO, 'packages')).flatMap((pkg) => {
      const dir = path.join(REPO, 'packages', pkg, 'manifests');
      try {
        return yamlFilesUnder(dir).map((f) => path.relative(path.join(REPO, 'packages'), f));
      } catch {
        return [];
      }
    });
    for (const file of packageManifests) {
      if (file in NOT_IN_BASES) {
        expect(listed.has(file), `${file} is both listed and excluded`).toBe(false);
      } else {
        expect(
          listed.has(file),
          `${file}: in no package kustomization.yaml (add it, or to NOT_IN_BASES with why)`,
        ).toBe(true);
      }
    }
  });
});
