/**
 * `cnpaas install` and `cnpaas uninstall` against a real kube-apiserver (on
 * cnpaas-store, from @cnpaas/platform/testing). The control plane has no
 * nodes, so pods stay Pending: install runs with --no-wait and the test checks
 * objects, not pods. Proved here:
 *
 * - bad input is refused before anything is applied: no cluster, a user
 *   without the rights, an API the cluster does not serve, a missing or bad
 *   webhook client CA;
 * - install creates exactly the rendered overlay plus its Secrets, CA copies
 *   and the demo trigger, each labelled as installed, with the CA bundles and
 *   the apiserver's address filled in; a second run changes no certificate;
 * - uninstall refuses while webshop data exists, then removes exactly what
 *   install made (an object someone else made, or took over, stays).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import {
  INSTALLED_BY,
  INSTALLED_BY_LABEL,
  INVENTORY,
  PlatformError,
  install,
  runKubectl,
  uninstall,
  type InstallOptions,
} from '@cnpaas/platform';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { step } from '../support/narrate.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CNPAAS = path.join(REPO, 'packages/platform/bin/cnpaas.js');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  [key: string]: unknown;
};

let stack: TestControlPlane;
let caFile: string;

async function kubectl(args: string[], input?: string) {
  const res = await runKubectl({
    kubectl: stack.kubectl,
    kubeconfig: stack.kubeconfig,
    args,
    ...(input === undefined ? {} : { input }),
  });
  return res;
}

async function json<T>(args: string[]): Promise<T> {
  const res = await kubectl([...args, '-o', 'json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as T;
}

async function exists(kind: string, name: string, namespace?: string): Promise<boolean> {
  const res = await kubectl([
    'get',
    kind,
    name,
    ...(namespace ? ['-n', namespace] : []),
    '--ignore-not-found',
    '-o',
    'name',
  ]);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim() !== '';
}

function options(overrides: Partial<InstallOptions> = {}): InstallOptions {
  return {
    kubeconfig: stack.kubeconfig,
    kubectl: stack.kubectl,
    overlay: 'cluster',
    webhookClientCaFile: caFile,
    wait: false,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

beforeAll(async () => {
  step('a control plane on cnpaas-store with no nodes (and the controller manager, which finalizes namespaces)');
  stack = await startControlPlane({ controllerManager: true });
  caFile = path.join(path.dirname(stack.kubeconfig), 'pki', 'ca.crt');
  readFileSync(caFile); // the test control plane's cluster CA stands in for the webhook client CA
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('cnpaas install refuses bad input before it applies anything', () => {
  it('a cluster that does not answer', async () => {
    const dead = path.join(path.dirname(stack.kubeconfig), 'dead.kubeconfig');
    const text = readFileSync(stack.kubeconfig, 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:1',
    );
    expect(text).toContain('https://127.0.0.1:1\n');
    writeFileSync(dead, text);
    const err = await refusal(install(options({ kubeconfig: dead })));
    expect(err.code).toBe('CNPAAS_PLATFORM_CLUSTER_UNREACHABLE');
    expect(err.message).toContain('https://127.0.0.1:1');
  });

  it('a user who may not create the objects: every missing permission named', async () => {
    const nobody = await stack.kubeconfigFor('nobody');
    const err = await refusal(install(options({ kubeconfig: nobody })));
    expect(err.code).toBe('CNPAAS_PLATFORM_INSTALL_FORBIDDEN');
    expect(err.message).toContain('create customresourcedefinitions.apiextensions.k8s.io');
    expect(err.message).toContain('patch deployments.apps in cnpaas-system');
    expect(err.hint).toContain('nothing was applied');
  });

  it('a webhook client CA that is missing or not a certificate', async () => {
    const missing = await refusal(install(options({ webhookClientCaFile: '/nonexistent/ca.crt' })));
    expect(missing.message).toContain('/nonexistent/ca.crt cannot be read');
    const notPem = await refusal(install(options({ webhookClientCaFile: stack.kubeconfig })));
    expect(notPem.message).toMatch(/--webhook-client-ca is not a PEM CA certificate/);
  });

  it('the CLI without --webhook-client-ca: a usage error that says why it is needed', async () => {
    const res = await run(process.execPath, [CNPAAS, 'install', '--kubeconfig', stack.kubeconfig]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--webhook-client-ca is required');
  });

  it('left no trace of any of the above', async () => {
    expect(await exists('namespace', 'cnpaas-system')).toBe(false);
    expect(await exists('crd', 'users.webshop.cnpaas.dev')).toBe(false);
    expect(await exists('configmap', INVENTORY.name, INVENTORY.namespace)).toBe(false);
  });
});

describe('cnpaas install and uninstall', () => {
  let installed: Obj[];

  it('creates exactly the overlay, its secrets and the demo trigger, each labelled as installed', async () => {
    const lines: string[] = [];
    const result = await install(options({ say: (l) => lines.push(l) }));
    installed = result.objects as Obj[];
    expect(lines.join('\n')).toContain('✓ applied the custom resources');

    const render = await kubectl(['kustomize', path.join(REPO, 'deploy/overlays/cluster')]);
    const rendered = parseAllDocuments(render.stdout).map((d) => d.toJS() as Obj);
    const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const extra = installed.map(id).filter((i) => !rendered.map(id).includes(i));
    expect(extra.sort()).toEqual(
      [
        'ConfigMap/cnpaas-system/cnpaas-apiserver-webhook-client-ca',
        'ConfigMap/cnpaas-system/cnpaas-front-proxy-ca',
        'ConfigMap/cnpaas-system/cnpaas-smtp-ca',
        'ConfigMap/cnpaas-system/cnpaas-trigger-delivery-ca',
        'HTTPTrigger/cnpaas-system/email',
        'Secret/cnpaas-system/cnpaas-api-serving',
        'Secret/cnpaas-system/cnpaas-console-token',
        'Secret/cnpaas-system/cnpaas-email-function-serving',
        'Secret/cnpaas-system/cnpaas-email-function-smtp',
        'Secret/cnpaas-system/cnpaas-install-ca',
        'Secret/cnpaas-system/cnpaas-smtp-auth',
        'Secret/cnpaas-system/cnpaas-smtp-serving',
        'Secret/cnpaas-system/cnpaas-trigger-delivery-ca',
        'Secret/cnpaas-system/cnpaas-verification-key',
        'Secret/cnpaas-system/cnpaas-webhooks-serving',
        'Secret/cnpaas-system/email-trigger-delivery',
      ].sort(),
    );
    expect(rendered.map(id).filter((i) => !installed.map(id).includes(i))).toEqual([]);

    const live = await kubectl(['get', '-f', '-', '-o', 'json'], installed.map((o) => JSON.stringify(o)).join('\n'));
    expect(live.code, live.stderr).toBe(0);
    const items = (JSON.parse(live.stdout) as { items: Obj[] }).items;
    expect(items.map(id).sort()).toEqual(installed.map(id).sort());
    for (const o of items) expect(o.metadata.labels?.[INSTALLED_BY_LABEL], id(o)).toBe(INSTALLED_BY);
  });

  it('fills in the CA bundles and the apiserver address, and pulls from the given registry', async () => {
    const webhooks = await json<{ webhooks: Array<{ clientConfig: { caBundle?: string; service?: object } }> }>([
      'get',
      'validatingwebhookconfiguration',
      'cnpaas-webhooks',
    ]);
    const ca = await json<{ data: Record<string, string> }>([
      'get',
      'configmap',
      '-n',
      'cnpaas-system',
      'cnpaas-smtp-ca',
    ]);
    for (const w of webhooks.webhooks) {
      expect(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()).toBe(ca.data['ca.crt']);
      expect(w.clientConfig.service).toMatchObject({ name: 'cnpaas-webhooks', namespace: 'cnpaas-system' });
    }
    const apiService = await json<{ spec: { caBundle?: string } }>(['get', 'apiservice', 'v1.api.webshop.cnpaas.dev']);
    expect(Buffer.from(apiService.spec.caBundle ?? '', 'base64').toString()).toBe(ca.data['ca.crt']);
    const policy = await json<{ spec: { ingress: Array<{ from: Array<{ ipBlock: { cidr: string } }> }> } }>([
      'get',
      'networkpolicy',
      '-n',
      'cnpaas-system',
      'cnpaas-webhooks',
    ]);
    expect(policy.spec.ingress[0]!.from.map((f) => f.ipBlock.cidr)).toEqual(['127.0.0.1/32']);

    const again = await install(options({ imageRegistry: 'registry.example.com/shop' }));
    expect(again.objects.length).toBe(installed.length);
    const deployment = await json<{ spec: { template: { spec: { containers: Array<{ image: string }> } } } }>([
      'get',
      'deployment',
      '-n',
      'cnpaas-system',
      'cnpaas-operator',
    ]);
    expect(deployment.spec.template.spec.containers[0]!.image).toMatch(
      /^registry\.example\.com\/shop\/cnpaas-operator:/,
    );
  });

  it('keeps its certificates and passwords when run again', async () => {
    const before = await json<{ items: Obj[] }>(['get', 'secrets', '-n', 'cnpaas-system']);
    await install(options());
    const after = await json<{ items: Obj[] }>(['get', 'secrets', '-n', 'cnpaas-system']);
    const versions = (list: { items: Obj[] }) =>
      Object.fromEntries(list.items.map((s) => [s.metadata.name, s.metadata.resourceVersion]));
    expect(versions(after)).toEqual(versions(before));
  });

  it('refuses to uninstall while webshop data exists, and deletes nothing', async () => {
    step('an EmailTemplate of their own in cnpaas-system (no webhook guards that kind)');
    const template = {
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'EmailTemplate',
      metadata: { name: 'theirs', namespace: 'cnpaas-system' },
      spec: {
        displayName: 'Theirs',
        fromName: 'Them',
        fromAddress: 'them@example.com',
        subject: 'Hello',
        body: 'Hello {{ .spec.firstName }}',
      },
    };
    const created = await kubectl(['create', '-f', '-'], JSON.stringify(template));
    expect(created.code, created.stderr).toBe(0);
    const err = await refusal(uninstall({ kubeconfig: stack.kubeconfig, kubectl: stack.kubectl }));
    expect(err.code).toBe('CNPAAS_PLATFORM_UNINSTALL_DATA');
    expect(err.message).toContain('1 emailtemplates');
    expect(await exists('namespace', 'cnpaas-system')).toBe(true);
    expect(await exists('validatingwebhookconfiguration', 'cnpaas-webhooks')).toBe(true);
  });

  it('with --delete-data removes everything it installed, and leaves what others made or took over', async () => {
    const foreign = await kubectl(['create', 'namespace', 'shop-elsewhere']);
    expect(foreign.code, foreign.stderr).toBe(0);
    step('someone takes over ClusterRole cnpaas-registrant: the installed-by label removed');
    const relabel = await kubectl(['label', 'clusterrole', 'cnpaas-registrant', `${INSTALLED_BY_LABEL}-`]);
    expect(relabel.code, relabel.stderr).toBe(0);

    const result = await uninstall({ kubeconfig: stack.kubeconfig, kubectl: stack.kubectl, deleteData: true });
    expect(result.leftAlone.map((e) => `${e.kind}/${e.name}`)).toEqual(['ClusterRole/cnpaas-registrant']);
    expect(result.deleted.length).toBe(installed.length - 1);

    for (const o of installed) {
      if (o.kind === 'ClusterRole' && o.metadata.name === 'cnpaas-registrant') continue;
      const kind = o.kind === 'CustomResourceDefinition' ? 'crd' : o.kind.toLowerCase();
      if (o.kind === 'EmailTemplate' || o.kind === 'HTTPTrigger') continue; // their CRDs are gone, and they with them
      expect(await exists(kind, o.metadata.name, o.metadata.namespace), `${o.kind} ${o.metadata.name}`).toBe(false);
    }
    expect(await exists('crd', 'emailtemplates.webshop.cnpaas.dev')).toBe(false);
    expect(await exists('namespace', 'shop-elsewhere')).toBe(true);
    expect(await exists('clusterrole', 'cnpaas-registrant')).toBe(true);
    expect(await exists('configmap', INVENTORY.name, INVENTORY.namespace)).toBe(false);

    const second = await uninstall({ kubeconfig: stack.kubeconfig, kubectl: stack.kubectl });
    expect(second.deleted).toEqual([]);
  });
});
