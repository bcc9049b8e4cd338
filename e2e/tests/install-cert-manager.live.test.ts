/**
 * `cnpaas install` on a cluster that runs cert-manager: the serving
 * certificates come from cert-manager, and install makes no serving key of
 * its own. cert-manager itself cannot run here (see
 * support/cert-manager-standin.ts, which issues the Certificates in its
 * place); kube-apiserver, the store and install are real.
 *
 * - `--pki cert-manager` on a cluster without it is refused before anything
 *   is written;
 * - with cert-manager (auto): Issuers and Certificates go in first, install
 *   waits until they are issued, and every caBundle is cert-manager's CA; the
 *   serving Secrets the Deployments mount are cert-manager's, signed by that
 *   CA for the Service's names; the registrations carry the CA injector's
 *   annotation; install's own CA Secret is not made;
 * - uninstall removes the Issuers and Certificates with the rest.
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { KubeClient } from '@cnpaas/kube';
import { INVENTORY, PlatformError, install, kubeClientFromPki, runKubectl, uninstall } from '@cnpaas/platform';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertManagerStandIn, certManagerCrds } from '../support/cert-manager-standin.js';
import { step } from '../support/narrate.js';

const NS = 'cnpaas-system';
let stack: TestControlPlane;
let admin: KubeClient;
let standIn: CertManagerStandIn;

async function kubectl(args: string[], input?: string): Promise<string> {
  const res = await runKubectl({
    kubectl: stack.kubectl,
    kubeconfig: stack.kubeconfig,
    args,
    ...(input === undefined ? {} : { input }),
  });
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

const secretData = async (name: string): Promise<Record<string, string>> => {
  const secret = await admin.json<{ data: Record<string, string> }>({
    method: 'GET',
    path: `/api/v1/namespaces/${NS}/secrets/${name}`,
  });
  return Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
};

beforeAll(async () => {
  step('a control plane on cnpaas-store with no nodes');
  stack = await startControlPlane({ controllerManager: true });
  admin = kubeClientFromPki({ server: stack.server, pkiDir: path.join(path.dirname(stack.kubeconfig), 'pki') });
}, 120_000);

afterAll(async () => {
  await standIn?.stop();
  await stack?.stop();
});

const caFile = () => path.join(path.dirname(stack.kubeconfig), 'pki', 'ca.crt');
const options = () => ({
  kubeconfig: stack.kubeconfig,
  kubectl: stack.kubectl,
  overlay: 'cluster' as const,
  webhookClientCaFile: caFile(),
  wait: false,
  timeoutMs: 60_000,
});

describe('cnpaas install with cert-manager', () => {
  it('refuses --pki cert-manager on a cluster without it, before writing anything', async () => {
    const err = await install({ ...options(), pki: 'cert-manager' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).message).toMatch(/does not serve cert-manager\.io\/v1 Certificates and Issuers/);
    expect((err as PlatformError).hint).toMatch(/--pki self/);
    const inventory = await kubectl([
      'get',
      'configmap',
      '-n',
      INVENTORY.namespace,
      INVENTORY.name,
      '--ignore-not-found',
    ]);
    expect(inventory).toBe('');
  });

  it('lets cert-manager issue the serving certificates and uses its CA for every caBundle', async () => {
    step('cert-manager’s kinds, and the stand-in that issues Certificates');
    await kubectl(['apply', '-f', '-'], certManagerCrds());
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io']);
    standIn = new CertManagerStandIn(admin);
    standIn.start();

    const lines: string[] = [];
    const result = await install({ ...options(), say: (l) => lines.push(l) }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message} (the stand-in's last error: ${standIn.lastError ?? 'none'})`);
    });
    const said = lines.join('\n');
    expect(said).toContain('the cluster runs cert-manager: it issues the serving certificates');
    expect(said).toContain('cert-manager issued the serving certificates');
    const kinds = result.objects
      .filter((o) => o.apiVersion === 'cert-manager.io/v1')
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds.sort()).toEqual(
      [
        'Certificate/cnpaas-api-serving',
        'Certificate/cnpaas-ca',
        'Certificate/cnpaas-email-function-serving',
        'Certificate/cnpaas-smtp-serving',
        'Certificate/cnpaas-webhooks-serving',
        'Issuer/cnpaas-ca',
        'Issuer/cnpaas-selfsigned',
      ].sort(),
    );
    expect(result.objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'cnpaas-install-ca')).toBe(false);

    const ca = await secretData('cnpaas-cert-manager-ca');
    const caCert = new X509Certificate(ca['ca.crt']!);
    // The webhook configuration's and the APIService's caBundle is that CA, and the injector is told where it lives.
    const webhooks = JSON.parse(
      await kubectl(['get', 'validatingwebhookconfiguration', 'cnpaas-webhooks', '-o', 'json']),
    ) as {
      metadata: { annotations?: Record<string, string> };
      webhooks: Array<{ clientConfig: { caBundle: string } }>;
    };
    for (const w of webhooks.webhooks)
      expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toBe(ca['ca.crt']);
    expect(webhooks.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe('cnpaas-system/cnpaas-ca');
    const apiService = JSON.parse(await kubectl(['get', 'apiservice', 'v1.api.webshop.cnpaas.dev', '-o', 'json'])) as {
      spec: { caBundle: string };
    };
    expect(Buffer.from(apiService.spec.caBundle, 'base64').toString()).toBe(ca['ca.crt']);

    // What the webhooks' pods mount: cert-manager's Secret, signed by that CA for the Service's names, labelled as install's.
    const serving = await secretData('cnpaas-webhooks-serving');
    const leaf = new X509Certificate(serving['tls.crt']!);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:cnpaas-webhooks.cnpaas-system.svc');
    const labels = JSON.parse(
      await kubectl(['get', 'secret', '-n', NS, 'cnpaas-webhooks-serving', '-o', 'jsonpath={.metadata.labels}']),
    ) as Record<string, string>;
    expect(labels['cnpaas.dev/installed-by']).toBe('cnpaas-install');
    expect(standIn.issued).toContain('cnpaas-system/cnpaas-webhooks-serving');
  }, 180_000);

  it('removes the Issuers and Certificates on uninstall, with everything else it made', async () => {
    const result = await uninstall({ kubeconfig: stack.kubeconfig, kubectl: stack.kubectl });
    const deleted = result.deleted.map((e) => `${e.kind}/${e.name}`);
    expect(deleted).toEqual(expect.arrayContaining(['Issuer/cnpaas-ca', 'Certificate/cnpaas-webhooks-serving']));
    const left = await kubectl(['get', 'certificates.cert-manager.io,issuers.cert-manager.io', '-n', NS, '-o', 'name']);
    expect(left.trim()).toBe('');
  }, 180_000);
});
