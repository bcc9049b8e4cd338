/**
 * The webshop's components after the control plane (DESIGN.md "Contracts
 * between packages", steps 4–6): the CRDs, the admission webhooks, the
 * operator. Each package describes itself (command, health URLs, manifests,
 * certificates); the platform decides ports and file paths, issues the
 * certificates from the cluster CA and writes each identity's kubeconfig.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { allManifests, operatorComponent, type ComponentDescriptor } from '@cnpaas/operator';
import { APISERVER_WEBHOOK_CLIENT_NAME, WEBHOOKS_CLIENT_NAME, webhooksComponent } from '@cnpaas/webhooks';
import type { ClusterPki } from './cluster-pki.js';
import type { ProcessSpec } from './control-plane.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { Ports } from './ports.js';
import type { StatePaths } from './state-dir.js';

export interface WebshopOptions {
  paths: StatePaths;
  ports: Ports;
  pki: ClusterPki;
  server: string;
}

export interface WebshopComponents {
  specs: ProcessSpec[];
  /** For kube-apiserver's --admission-control-config-file. */
  admissionConfigFile: string;
}

function toSpec(d: ComponentDescriptor, caFile: string, manifests: ProcessSpec['manifests']): ProcessSpec {
  return { name: d.name, command: d.command, env: d.env, readyUrl: d.readyUrl, readyCaFile: caFile, readyTimeoutMs: 60_000, manifests };
}

/** A kubeconfig for a component's own client identity (CN = its user name in RBAC). */
async function identity(options: WebshopOptions, commonName: string): Promise<string> {
  const { pki, paths } = options;
  const client = await pki.ca.issue(paths.pki, { name: commonName, commonName, usage: 'client' });
  const file = path.join(paths.pki, `${commonName}.kubeconfig`);
  writeKubeconfig(file, { server: options.server, caFile: pki.ca.files.cert, user: commonName, client });
  return file;
}

/**
 * kube-apiserver presents a client certificate to the webhooks, chosen by the
 * webhook's host:port in this kubeconfig (AdmissionConfiguration kubeConfigFile).
 */
function writeAdmissionConfig(options: WebshopOptions, webhookHostPort: string, client: { cert: string; key: string }): string {
  const kubeconfig = path.join(options.paths.pki, 'apiserver-webhook-client.kubeconfig');
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config',
    users: [{ name: webhookHostPort, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
  }), { mode: 0o600 });
  const pluginConfig = { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: kubeconfig };
  const file = path.join(options.paths.pki, 'admission-control.yaml');
  writeFileSync(file, stringify({
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration',
    plugins: [
      { name: 'ValidatingAdmissionWebhook', configuration: pluginConfig },
      { name: 'MutatingAdmissionWebhook', configuration: pluginConfig },
    ],
  }), { mode: 0o600 });
  return file;
}

export async function webshopComponents(options: WebshopOptions): Promise<WebshopComponents> {
  const { pki, paths, ports } = options;
  const caFile = pki.ca.files.cert;

  const webhookHostPort = `127.0.0.1:${ports.webhooks}`;
  const webhooksServing = await pki.ca.issue(paths.pki, {
    name: 'webhooks-serving', commonName: 'cnpaas-webhooks', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'],
  });
  const apiserverWebhookClient = await pki.ca.issue(paths.pki, {
    name: 'apiserver-webhook-client', commonName: APISERVER_WEBHOOK_CLIENT_NAME, usage: 'client',
  });
  const webhooks = webhooksComponent({
    port: ports.webhooks,
    certFile: webhooksServing.cert,
    keyFile: webhooksServing.key,
    clientCaFile: caFile,
    kubeconfig: await identity(options, WEBHOOKS_CLIENT_NAME),
  });

  const operator = operatorComponent({ port: ports.operator, kubeconfig: await identity(options, 'cnpaas-operator') });

  return {
    specs: [
      toSpec(webhooks, caFile, {
        // Step 4, the CRDs (with the namespace, RBAC and default template they need), go first.
        beforeStart: [...allManifests(), ...webhooks.manifests.beforeStart],
        afterReady: webhooks.manifests.afterReady,
        vars: { WEBHOOK_BASE_URL: `https://${webhookHostPort}`, CA_BUNDLE: readFileSync(caFile).toString('base64') },
      }),
      toSpec(operator, caFile, { beforeStart: [], afterReady: [] }),
    ],
    admissionConfigFile: writeAdmissionConfig(options, webhookHostPort, apiserverWebhookClient),
  };
}
