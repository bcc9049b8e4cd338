/**
 * `cnpaas install`: puts services into any cluster (the default services,
 * or those named with `--service`, as for `cnpaas up`), each from its
 * composition's cluster part: its Kustomize overlay, its TLS Services and
 * its per-install objects (@cnpaas/service-kit's `ServiceClusterPart`).
 * Everything that can be checked is checked before the first write (the
 * cluster answers, serves the APIs, lets the caller create every object);
 * then the objects go in dependency order with server-side apply, each phase
 * waiting for what the next one needs:
 *
 *   0. with cert-manager (cert-manager.ts): the Namespace, its Issuers and Certificates, until issued;
 *   1. the Namespace and the CRDs (until Established);
 *   2. RBAC, ServiceAccounts, Secrets, ConfigMaps, Services, Deployments, PDBs, NetworkPolicies;
 *   3. the Deployments, until Available (skipped by --no-wait);
 *   4. the webhook configurations and the APIService (only now: failurePolicy Fail and an
 *      unavailable APIService would otherwise break the cluster while the pods start);
 *   5. the custom resources (a service's default templates and triggers, say).
 *
 * Every object carries the label cnpaas.dev/installed-by=cnpaas-install, and
 * an inventory ConfigMap in kube-system lists them, so `cnpaas uninstall`
 * removes exactly what install made.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceClusterPart } from '@cnpaas/service-kit';
import { manifestsYaml, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { DEFAULT_SERVICES, loadServices } from '../compositions.js';
import { PlatformError } from '../errors.js';
import { Cluster } from './cluster.js';
import { writeInventory } from './inventory.js';
import { annotateInjection, awaitCertificates, certManagerObjects, choosePki, type PkiMode } from './cert-manager.js';
import { installSecrets, partObjectsPreview, servingSecrets } from './install-secrets.js';
import { FIELD_MANAGER, INSTALLED_BY, INSTALLED_BY_LABEL, type Overlay } from './names.js';
import { checkApisAndAccess, checkReachable } from './preflight.js';
import { apiserverCidrs, renderOverlay, setClusterValues } from './render.js';
import { uniqueObjects } from './unique-objects.js';

export interface InstallOptions {
  kubeconfig: string;
  /** The pinned kubectl. */
  kubectl: string;
  overlay: Overlay;
  /** The services to install: package names or directories, as `cnpaas up --service` (default DEFAULT_SERVICES). */
  services?: readonly string[] | undefined;
  imageRegistry?: string | undefined;
  /** File with the PEM CA that signs kube-apiserver's webhook client certificate. */
  webhookClientCaFile: string;
  /** Wait for Deployments and the APIService to become available (default true). */
  wait?: boolean;
  /** Per wait (default 5 minutes). */
  timeoutMs?: number;
  /** Who issues the serving certificates: cert-manager when the cluster runs it (auto, the default), or install's own CA. */
  pki?: PkiMode;
  say?: (line: string) => void;
}

export interface InstallResult {
  objects: ManifestObject[];
  version: string;
  /** The namespace the services' workloads went into (their cluster parts'). */
  namespace: string;
  /** The services' commands to try next (their cluster parts' `nextSteps`). */
  nextSteps: string[];
}

const PHASE_1 = new Set(['Namespace', 'CustomResourceDefinition']);
const PHASE_4 = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);

/**
 * Each service's cluster part, and the namespace they share; a service without one, or services in two
 * namespaces (install keeps one set of serving certificates and copies of the cluster's CAs), are refused
 * before anything is read.
 */
async function clusterParts(specs: readonly string[]): Promise<{ parts: ServiceClusterPart[]; namespace: string }> {
  const parts = (await loadServices(specs)).map(({ spec, composition }) => {
    if (!composition.cluster) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_SERVICE',
        `${spec} (service ${composition.name}) has no cluster part, so cnpaas install cannot put it into a cluster`,
        {
          hint: 'add `cluster` (a ServiceClusterPart from @cnpaas/service-kit: its deploy/ directory, TLS Services and per-install objects) to its composition, or leave it out of --service',
        },
      );
    }
    return composition.cluster;
  });
  const namespaces = [...new Set(parts.map((p) => p.namespace))];
  if (namespaces.length !== 1) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_SERVICE',
      `the services to install name ${namespaces.length} namespaces (${namespaces.join(', ')}), and one install puts its services into one`,
      {
        hint: 'install services that share a namespace together (their cluster parts name it), and the others with a separate cnpaas install',
      },
    );
  }
  return { parts, namespace: namespaces[0]! };
}

function label(o: ManifestObject): ManifestObject {
  return { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [INSTALLED_BY_LABEL]: INSTALLED_BY } } };
}

/**
 * The services' namespace as an object install applies, when no overlay declares it (a service that
 * installs beside others, like a generated one, leaves it to whoever comes first). Never a namespace
 * someone else made: install would label it as its own, and uninstall would delete it with their objects.
 */
async function installNamespace(
  cluster: Cluster,
  namespace: string,
  rendered: readonly ManifestObject[],
): Promise<ManifestObject | undefined> {
  if (rendered.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace)) return undefined;
  const existing = await cluster.get<ManifestObject>(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (existing && existing.metadata.labels?.[INSTALLED_BY_LABEL] !== INSTALLED_BY) return undefined;
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
}

/** Where each object goes: 1 namespace and CRDs, 2 the rest of the built-in kinds, 4 registrations, 5 custom resources. */
function phaseOf(o: ManifestObject, customKinds: Set<string>): 1 | 2 | 4 | 5 {
  if (PHASE_1.has(o.kind)) return 1;
  if (PHASE_4.has(o.kind)) return 4;
  if (customKinds.has(`${o.apiVersion}:${o.kind}`)) return 5;
  return 2;
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const say = options.say ?? (() => {});
  const timeout = `${Math.round((options.timeoutMs ?? 300_000) / 1000)}s`;
  let webhookClientCaPem: string;
  try {
    webhookClientCaPem = readFileSync(options.webhookClientCaFile, 'utf8');
  } catch (err) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL',
      `--webhook-client-ca ${options.webhookClientCaFile} cannot be read: ${(err as Error).message}`,
      {
        hint: 'pass the CA file that signs the client certificate kube-apiserver presents to admission webhooks',
        cause: err,
      },
    );
  }
  const { parts, namespace } = await clusterParts(options.services ?? DEFAULT_SERVICES);
  const cluster = new Cluster({ kubeconfig: options.kubeconfig, kubectl: options.kubectl });

  const version = await checkReachable(cluster);
  say(`✓ cluster ${cluster.server} answers (Kubernetes ${version})`);
  const rendered: ManifestObject[] = [];
  for (const part of parts) {
    const objects = await renderOverlay(cluster, options.overlay, part.deployDir);
    say(`✓ rendered ${path.basename(part.deployDir)}/overlays/${options.overlay}: ${objects.length} objects`);
    rendered.push(...objects);
  }
  const ownNamespace = await installNamespace(cluster, namespace, rendered);
  if (ownNamespace) {
    rendered.unshift(ownNamespace);
    say(`✓ no overlay makes namespace ${namespace}: install makes it, and uninstall removes it`);
  }
  // The parts' objects are in the set before the check, their values only after: check a preview of them.
  const preview = await partObjectsPreview(parts, namespace);
  const pki = await choosePki(cluster, options.pki ?? 'auto');
  const certificates = pki === 'cert-manager' ? certManagerObjects(servingSecrets(parts), namespace).map(label) : [];
  // Refuses two services' differing copies of one object before anything is written.
  const checked = uniqueObjects([...rendered, ...preview, ...certificates]);
  await checkApisAndAccess({ cluster, objects: checked, version, namespace });
  say('✓ every API the manifests use is served, and this user may create each object');
  say(
    pki === 'cert-manager'
      ? '✓ the cluster runs cert-manager: it issues the serving certificates'
      : '✓ serving certificates from install’s own CA (kept in the cluster, reused on the next install)',
  );
  const apply = async (what: string, list: ManifestObject[]): Promise<void> => {
    if (list.length === 0) return;
    const res = await cluster.kubectl(
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
      manifestsYaml(list),
      120_000,
    );
    if (res.code !== 0) {
      throw new PlatformError('CNPAAS_PLATFORM_INSTALL', `applying ${what} failed: ${res.stderr.trim()}`, {
        hint: 'fix the cause and run cnpaas install again (it continues where it stopped), or cnpaas uninstall',
      });
    }
    say(`✓ applied ${what} (${list.length} objects)`);
  };
  const wait = async (what: string, done: string, args: string[]): Promise<void> => {
    say(`… waiting for ${what} (up to ${timeout})`);
    const res = await cluster.kubectl(
      ['wait', `--timeout=${timeout}`, ...args],
      undefined,
      (options.timeoutMs ?? 300_000) + 30_000,
    );
    if (res.code !== 0) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        `${what} did not happen within ${timeout}: ${res.stderr.trim() || res.stdout.trim()}`,
        {
          hint: `look at kubectl -n ${namespace} get pods,events; run cnpaas install again once fixed, or pass --no-wait`,
        },
      );
    }
    say(`✓ ${done}`);
  };

  let servingCaPem: string | undefined;
  if (pki === 'cert-manager') {
    // The namespace and cert-manager's objects go first: the CA they make is every caBundle below. The
    // inventory lists them before they are applied, so uninstall finds them if install stops here.
    const first = [...rendered.filter((o) => o.kind === 'Namespace').map(label), ...certificates];
    await writeInventory(cluster, first);
    await apply('the namespace and cert-manager’s issuers and certificates', first);
    servingCaPem = await awaitCertificates({
      cluster,
      namespace,
      names: certificates.filter((o) => o.kind === 'Certificate').map((o) => o.metadata.name),
      timeoutMs: options.timeoutMs ?? 300_000,
      say,
    });
  }
  const secrets = await installSecrets({ cluster, parts, namespace, webhookClientCaPem, servingCaPem });
  const cidrs = await apiserverCidrs(cluster);
  const configured = setClusterValues(rendered, {
    imageRegistry: options.imageRegistry,
    servingCaPem: secrets.servingCaPem,
    apiserverCidrs: cidrs,
    frontProxyAllowedNames: secrets.frontProxyAllowedNames,
  });
  const objects = uniqueObjects([
    ...(pki === 'cert-manager' ? annotateInjection(configured, namespace) : configured),
    ...certificates,
    ...secrets.objects,
  ]).map(label);
  say(
    `✓ serving certificates and secrets ready; the webhooks and the API server admit the apiserver at ${cidrs.join(', ')}`,
  );

  await writeInventory(cluster, objects);
  const customKinds = new Set(
    objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .flatMap((o) => {
        const { spec } = o as unknown as {
          spec: { group: string; names: { kind: string }; versions: Array<{ name: string }> };
        };
        return spec.versions.map((v) => `${spec.group}/${v.name}:${spec.names.kind}`);
      }),
  );
  const phase = (n: number) => objects.filter((o) => phaseOf(o, customKinds) === n);
  await apply('the namespace and the CRDs', phase(1));
  await wait('the CRDs to be Established', 'the CRDs are Established', [
    '--for=condition=Established',
    'crd',
    '-l',
    `${INSTALLED_BY_LABEL}=${INSTALLED_BY}`,
  ]);
  cluster.forgetDiscovery();
  await apply('RBAC, accounts, secrets, services, deployments and policies', phase(2));
  if (options.wait !== false) {
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      await wait(`deployment ${d.metadata.name} to be Available`, `deployment ${d.metadata.name} is Available`, [
        '--for=condition=Available',
        '-n',
        d.metadata.namespace ?? namespace,
        `deployment/${d.metadata.name}`,
      ]);
    }
  }
  await apply('the webhook configurations and the APIService', phase(4));
  if (options.wait !== false) {
    for (const a of objects.filter((o) => o.kind === 'APIService')) {
      await wait(`APIService ${a.metadata.name} to be Available`, `APIService ${a.metadata.name} is Available`, [
        '--for=condition=Available',
        `apiservice/${a.metadata.name}`,
      ]);
    }
  }
  await apply('the custom resources', phase(5));
  const nextSteps = parts.flatMap((p) => p.nextSteps?.({ kubeconfig: options.kubeconfig, namespace }) ?? []);
  return { objects, version, namespace, nextSteps };
}
