/**
 * The webshop as a cluster runs it, without a node: `cnpaas install` puts the
 * cluster overlay into a real kube-apiserver on cnpaas-store, then each
 * Deployment's container runs "as its pod would" (support/pod.ts): the image's
 * entry point and the Deployment's arguments, its mounted Secrets and
 * ConfigMaps, a TokenRequest token for its own ServiceAccount, the cluster CA
 * and KUBERNETES_SERVICE_HOST/PORT. The registration demo then passes with
 * every component authenticated as its ServiceAccount and authorised only by
 * the RBAC the overlay ships (no binding names a client-certificate User).
 *
 * What stands in for a node: each Service in front of a component is made an
 * ExternalName to localhost and the registrations' service ports follow the
 * local ports (there is no kube-proxy); the demo trigger's URL and the email
 * function's SMTP host say localhost for the same reason. The serving
 * certificates, CA bundles, client-certificate checks and tokens are the ones
 * install made.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listMail } from '@cnpaas/functions';
import type { KubeClient } from '@cnpaas/kube';
import { admissionConfig, CertificateAuthority, install, kubeClientFromPki } from '@cnpaas/platform';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { freePort } from '@cnpaas/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor, type BoundKubectl } from '../support/kubectl.js';
import { step } from '../support/narrate.js';
import { runPod, type Deployment, type RunningPod } from '../support/pod.js';
import { clusterDemo } from '../support/cluster-demo.js';
import { waitFor } from '@cnpaas/service-kit/testing';

const NS = 'cnpaas-system';
const WEBHOOK_SERVICE = `cnpaas-webhooks.${NS}.svc`;

let dir: string;
let stack: TestControlPlane;
let admin: KubeClient;
let kubectl: BoundKubectl;
const pods = new Map<string, RunningPod>();

/** The Service as an ExternalName to localhost: the apiserver dials localhost:<the registration's port>. */
async function serviceToLocalhost(name: string): Promise<void> {
  await kubectl(['delete', 'service', '-n', NS, name]);
  await kubectl(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-pods-'));
  step("kube-apiserver's webhook client: a CA, a certificate, and its admission configuration");
  const webhookPort = await freePort();
  const ca = await CertificateAuthority.loadOrCreate(dir, 'webhook-client-ca', 'test webhook client CA');
  const client = await ca.issue(dir, {
    name: 'apiserver-webhook-client',
    commonName: 'kube-apiserver-webhook-client',
    usage: 'client',
  });
  const kubeconfigPath = path.join(dir, 'webhook-client.kubeconfig');
  const config = admissionConfig({
    kubeconfigPath,
    clients: [{ host: `${WEBHOOK_SERVICE}:${webhookPort}`, cert: client.cert, key: client.key }],
  });
  writeFileSync(kubeconfigPath, config.kubeconfig);
  const admission = path.join(dir, 'admission.yaml');
  writeFileSync(admission, config.admissionConfiguration);

  step('a control plane on cnpaas-store, and cnpaas install --overlay cluster into it');
  stack = await startControlPlane({
    controllerManager: true,
    apiserverArgs: [`--admission-control-config-file=${admission}`],
  });
  kubectl = kubectlFor(stack);
  admin = kubeClientFromPki({ server: stack.server, pkiDir: path.join(path.dirname(stack.kubeconfig), 'pki') });
  const installed = await install({
    kubeconfig: stack.kubeconfig,
    kubectl: stack.kubectl,
    overlay: 'cluster',
    webhookClientCaFile: ca.files.cert,
    wait: false,
  });
  const deployment = (name: string) =>
    installed.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as Deployment;
  const apiserver = {
    host: '127.0.0.1',
    port: Number(new URL(stack.server).port),
    caPem: readFileSync(path.join(path.dirname(stack.kubeconfig), 'pki', 'ca.crt'), 'utf8'),
  };
  const run = async (name: string, extra: { extraArgs?: string[]; ports?: Map<number, number> } = {}) => {
    step(`${name}, as its pod would run`);
    const pod = await runPod({ deployment: deployment(name), admin, apiserver, dir, ...extra });
    pods.set(name, pod);
    return pod;
  };

  const smtp = await run('cnpaas-smtp');
  await kubectl([
    'patch',
    'secret',
    '-n',
    NS,
    'cnpaas-email-function-smtp',
    '--type=merge',
    '-p',
    JSON.stringify({ stringData: { 'smtp-host': 'localhost', 'smtp-port': String(smtp.ports.get(2525)) } }),
  ]);
  const fn = await run('cnpaas-email-function');
  const fnTarget = `localhost:${fn.ports.get(8443)}`;
  await kubectl([
    'patch',
    'httptrigger',
    '-n',
    NS,
    'email',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { url: `https://${fnTarget}/email` } }),
  ]);
  await run('cnpaas-trigger', { extraArgs: ['--allow-target', fnTarget] });
  await run('cnpaas-webhooks', { ports: new Map([[9443, webhookPort]]) });
  const api = await run('cnpaas-api-server');
  await run('cnpaas-operator');
  await run('cnpaas-console');

  step('the Services as ExternalNames to localhost, and the registrations on the local ports');
  await serviceToLocalhost('cnpaas-webhooks');
  await serviceToLocalhost('cnpaas-api');
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const config = JSON.parse(await kubectl(['get', kind, 'cnpaas-webhooks', '-o', 'json'])) as {
      webhooks: Array<{ clientConfig: { service: { port: number } } }>;
    };
    const patch = config.webhooks.map((_, i) => ({
      op: 'replace',
      path: `/webhooks/${i}/clientConfig/service/port`,
      value: webhookPort,
    }));
    await kubectl(['patch', kind, 'cnpaas-webhooks', '--type=json', '-p', JSON.stringify(patch)]);
  }
  await kubectl([
    'patch',
    'apiservice',
    'v1.api.webshop.cnpaas.dev',
    '--type=json',
    '-p',
    JSON.stringify([{ op: 'replace', path: '/spec/service/port', value: api.ports.get(8443) }]),
  ]);
  await kubectl(['wait', '--for=condition=Available', '--timeout=60s', 'apiservice/v1.api.webshop.cnpaas.dev']);
}, 300_000);

afterAll(async () => {
  for (const pod of pods.values()) await pod.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the webshop with every component as its own ServiceAccount', () => {
  it('runs the operator as its ServiceAccount: it says so when it starts', () => {
    expect(pods.get('cnpaas-operator')!.output.join('')).toContain(
      'system:serviceaccount:cnpaas-system:cnpaas-operator',
    );
  });

  it('runs the console as its ServiceAccount: its token guards the API, and it signs people up and sees them', async () => {
    const port = pods.get('cnpaas-console')!.ports.get(8090)!;
    const base = `http://127.0.0.1:${port}`;
    const secret = await admin.json<{ data: { token: string } }>({
      method: 'GET',
      path: `/api/v1/namespaces/${NS}/secrets/cnpaas-console-token`,
    });
    const token = Buffer.from(secret.data.token, 'base64').toString('utf8');
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect((await fetch(`${base}/api/fabric`)).status).toBe(401);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const signup = await fetch(`${base}/api/registrations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        user: { firstName: 'Console', lastName: 'Pod', email: `console.pod.${Date.now()}@example.com` },
        password: 'Analytical-Engine-1843!',
        tenant: { country: 'GB', city: 'London', address: '1 Pod Row', postalCode: 'SW1A 1AA' },
      }),
    });
    const made = (await signup.json()) as { status?: { tenant?: string } };
    expect(signup.status, JSON.stringify(made)).toBe(201);
    const tenant = made.status!.tenant!;
    // Its watches (list, watch, and the Tenant's Events) work with the ServiceAccount's RBAC alone.
    await waitFor(
      `the console's data fabric to show Tenant ${tenant}`,
      async () => {
        const fabric = (await (await fetch(`${base}/api/fabric`, { headers: auth })).json()) as {
          objects: Array<{ kind: string; name: string }>;
        };
        return fabric.objects.some((o) => o.kind === 'Tenant' && o.name === tenant);
      },
      30_000,
    );
    const timeline = await fetch(`${base}/api/tenants/${tenant}/timeline`, { headers: auth });
    expect(timeline.status).toBe(200);
    expect(((await timeline.json()) as { steps: unknown[] }).steps).toHaveLength(8);
  });

  clusterDemo(() => ({
    admin,
    kubectl,
    mail: () => listMail(path.join(pods.get('cnpaas-smtp')!.root, 'var/lib/cnpaas-smtp')),
    suffix: 'local',
  }));
});
