/**
 * The webshop's components after the control plane (docs/design.md "Start
 * order", steps 4–8): the CRDs, the admission webhooks, the
 * operator. Each package describes itself (command, health URLs, manifests,
 * certificates); the platform decides ports and file paths, issues the
 * certificates from the cluster CA and writes each identity's kubeconfig.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONSOLE_CLIENT_NAME, consoleComponent } from '@cnpaas/console';
import { allManifests, operatorComponent } from '@cnpaas/operator';
import type { ComponentDescriptor } from '@cnpaas/service-kit';
import {
  apiServerComponent,
  API_SERVER_CLIENT_NAME,
  renderLocalApiService,
  SERVICE_DNS_NAME,
} from '@cnpaas/api-server';
import {
  emailFunctionComponent,
  emailTriggerVars,
  FUNCTION_CLIENT_NAME,
  smtpComponent,
  TRIGGER_CLIENT_NAME,
  triggerComponent,
} from '@cnpaas/functions';
import {
  APISERVER_WEBHOOK_CLIENT_NAME,
  WEBHOOKS_CLIENT_NAME,
  renderWebhookConfigurations,
  webhooksComponent,
} from '@cnpaas/webhooks';
import { admissionConfig } from './admission-config.js';
import type { ClusterPki } from './cluster-pki.js';
import { CertificateAuthority } from './pki.js';
import type { ProcessSpec } from './control-plane.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { Ports } from './ports.js';
import type { StatePaths } from './state-dir.js';
import { loadOrCreateVerificationKey, verificationKeySecret } from './verification-key.js';

export interface WebshopOptions {
  paths: StatePaths;
  ports: Ports;
  pki: ClusterPki;
  server: string;
  /** The store's topology file: the console shows one column per backend. */
  topology: string;
}

export interface WebshopComponents {
  specs: ProcessSpec[];
  /** For kube-apiserver's --admission-control-config-file. */
  admissionConfigFile: string;
}

function toSpec(d: ComponentDescriptor, caFile: string, manifests: ProcessSpec['manifests']): ProcessSpec {
  return {
    name: d.name,
    command: d.command,
    env: d.env,
    readyUrl: d.readyUrl,
    readyCaFile: caFile,
    readyTimeoutMs: 60_000,
    manifests,
  };
}

/**
 * Writes the local rendering of a package's cluster-form manifests (a
 * Service reference made a loopback URL, a CA bundle filled in) into the
 * state dir, and returns its path.
 */
function localManifest(paths: StatePaths, name: string, text: string): string {
  const dir = path.join(paths.root, 'manifests');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  // 0600: one of them holds the verification key.
  writeFileSync(file, text, { mode: 0o600 });
  return file;
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
function writeAdmissionConfig(
  options: WebshopOptions,
  webhookHostPort: string,
  client: { cert: string; key: string },
): string {
  const kubeconfig = path.join(options.paths.pki, 'apiserver-webhook-client.kubeconfig');
  const config = admissionConfig({
    kubeconfigPath: kubeconfig,
    clients: [{ host: webhookHostPort, cert: client.cert, key: client.key }],
  });
  writeFileSync(kubeconfig, config.kubeconfig, { mode: 0o600 });
  const file = path.join(options.paths.pki, 'admission-control.yaml');
  writeFileSync(file, config.admissionConfiguration, { mode: 0o600 });
  return file;
}

/** Generated once per state dir; only the SMTP server and the function read it. */
function smtpPasswordFile(paths: StatePaths): string {
  const file = path.join(paths.pki, 'smtp-password');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  return file;
}

export async function webshopComponents(options: WebshopOptions): Promise<WebshopComponents> {
  const { pki, paths, ports } = options;
  const caFile = pki.ca.files.cert;

  const webhookHostPort = `127.0.0.1:${ports.webhooks}`;
  const webhooksServing = await pki.ca.issue(paths.pki, {
    name: 'webhooks-serving',
    commonName: 'cnpaas-webhooks',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const apiserverWebhookClient = await pki.ca.issue(paths.pki, {
    name: 'apiserver-webhook-client',
    commonName: APISERVER_WEBHOOK_CLIENT_NAME,
    usage: 'client',
  });
  const webhooks = webhooksComponent({
    port: ports.webhooks,
    certFile: webhooksServing.cert,
    keyFile: webhooksServing.key,
    clientCaFile: caFile,
    kubeconfig: await identity(options, WEBHOOKS_CLIENT_NAME),
  });

  const operator = operatorComponent({ port: ports.operator, kubeconfig: await identity(options, 'cnpaas-operator') });

  // The aggregator checks the name cnpaas-api.cnpaas-system.svc (not the localhost it dials).
  const apiServing = await pki.ca.issue(paths.pki, {
    name: 'api-server-serving',
    commonName: 'cnpaas-api',
    usage: 'server',
    dnsNames: [SERVICE_DNS_NAME, 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const apiServer = apiServerComponent({
    port: ports.apiServer,
    tlsCertFile: apiServing.cert,
    tlsPrivateKeyFile: apiServing.key,
    requestheaderClientCaFile: pki.frontProxyCa.files.cert,
    kubeconfig: await identity(options, API_SERVER_CLIENT_NAME),
  });

  // The demo's SMTP server: AUTH only after STARTTLS with a certificate from the cluster CA, which the
  // function checks; the password lives in a 0600 file.
  const smtpUser = 'cnpaas';
  const passwordFile = smtpPasswordFile(paths);
  const smtpServing = await pki.ca.issue(paths.pki, {
    name: 'smtp-serving',
    commonName: 'cnpaas-smtp',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const smtp = smtpComponent({
    port: ports.smtp,
    healthPort: ports.smtpHealth,
    mailDir: paths.mail,
    user: smtpUser,
    passwordFile,
    certFile: smtpServing.cert,
    keyFile: smtpServing.key,
  });
  // Delivery (trigger → function) runs on a CA of its own that kube-apiserver does not trust: the
  // function's serving certificate and the demo HTTPTrigger's client certificate (a Secret it names).
  // The trigger's cluster identity is for the apiserver only and never goes to a target.
  const deliveryCa = await CertificateAuthority.loadOrCreate(paths.pki, 'delivery-ca', 'cnpaas-delivery-ca');
  const functionServing = await deliveryCa.issue(paths.pki, {
    name: 'email-function-serving',
    commonName: FUNCTION_CLIENT_NAME,
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const deliveryClient = await deliveryCa.issue(paths.pki, {
    name: 'trigger-delivery-client',
    commonName: TRIGGER_CLIENT_NAME,
    usage: 'client',
  });
  const emailFunction = emailFunctionComponent({
    port: ports.emailFunction,
    certFile: functionServing.cert,
    keyFile: functionServing.key,
    clientCaFile: deliveryCa.files.cert,
    kubeconfig: await identity(options, FUNCTION_CLIENT_NAME),
    smtp: { host: '127.0.0.1', port: ports.smtp, user: smtpUser, passwordFile, tls: 'starttls', caFile },
    // Links in mails point at the console this stack starts.
    verifyUrl: `http://127.0.0.1:${ports.console}/verify`,
  });

  // The function listens on loopback, which the trigger refuses as a target unless allowed by name.
  const functionHostPort = `127.0.0.1:${ports.emailFunction}`;
  const trigger = triggerComponent({
    port: ports.trigger,
    kubeconfig: await identity(options, TRIGGER_CLIENT_NAME),
    allowTargets: [functionHostPort],
  });

  // The key that signs verification links; applied before the api-server starts (the function starts later).
  const verificationKey = localManifest(
    options.paths,
    'verification-key-secret.json',
    JSON.stringify(verificationKeySecret(loadOrCreateVerificationKey(paths.pki))),
  );

  const apiService = localManifest(
    options.paths,
    'apiservice.yaml',
    renderLocalApiService({ port: ports.apiServer, servingCaPem: readFileSync(caFile) }),
  );

  // The web console, last: it watches the webshop kinds and signs people up through the registrations API.
  const webConsole = consoleComponent({
    port: ports.console,
    kubeconfig: await identity(options, CONSOLE_CLIENT_NAME),
    topology: options.topology,
    mailDir: paths.mail,
    storeMetricsUrl: `http://127.0.0.1:${ports.storeMetrics}/metrics`,
  });

  return {
    specs: [
      toSpec(webhooks, caFile, {
        // Step 4, the CRDs (with the namespace, RBAC and default template they need), go first.
        beforeStart: [...allManifests(), ...webhooks.manifests.beforeStart],
        afterReady: [
          localManifest(
            options.paths,
            'webhook-configurations.yaml',
            renderWebhookConfigurations({ baseUrl: `https://${webhookHostPort}`, caBundle: readFileSync(caFile) }).yaml,
          ),
        ],
      }),
      toSpec(operator, caFile, { beforeStart: [], afterReady: [] }),
      toSpec(apiServer, caFile, {
        beforeStart: [...apiServer.manifests.beforeStart, verificationKey],
        afterReady: [...apiServer.manifests.afterReady.filter((f) => !f.endsWith('apiservice.yaml')), apiService],
        // An APIService whose server is gone blocks every namespace deletion (docs/design.md "Registrations").
        removeOnStop: [apiService],
      }),
      toSpec(smtp, caFile, smtp.manifests),
      toSpec(emailFunction, deliveryCa.files.cert, emailFunction.manifests),
      toSpec(trigger, caFile, {
        ...trigger.manifests,
        vars: emailTriggerVars({
          functionBaseUrl: `https://${functionHostPort}`,
          caPem: readFileSync(deliveryCa.files.cert),
          delivery: { certPem: readFileSync(deliveryClient.cert), keyPem: readFileSync(deliveryClient.key) },
        }),
      }),
      toSpec(webConsole, caFile, webConsole.manifests),
    ],
    admissionConfigFile: writeAdmissionConfig(options, webhookHostPort, apiserverWebhookClient),
  };
}
