/**
 * The webshop's composition (docs/design.md "Start order", steps 4–8): the
 * CRDs, the admission webhooks, the operator, the registrations API server,
 * the demo's SMTP sink, the email function and its trigger, and the web
 * console, in that start order. Each package describes itself (command,
 * health URLs, manifests, certificates); this file wires them to each other
 * and to what the platform allocated (ports, certificates, kubeconfigs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CLIENT_NAME, consoleComponent } from '@cnpaas/console';
import { allManifests, OPERATOR_CLIENT_NAME, operatorComponent } from '@cnpaas/operator';
import type { ComposedComponent, CompositionContext, ServiceComposition } from '@cnpaas/service-kit';
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
import { WEBHOOKS_CLIENT_NAME, renderWebhookConfigurations, webhooksComponent } from '@cnpaas/webhooks';
import { randomBytes } from 'node:crypto';
import { clusterPart } from './cluster-part.js';
import { MAIL_DIR, mailCommand } from './mail-command.js';
import {
  isUsableVerificationKey,
  newVerificationKey,
  VERIFICATION_KEY_FILE,
  verificationKeySecret,
} from './verification-key.js';

/** The webshop's ports, with the defaults of `cnpaas up --ports fixed`. */
export const WEBSHOP_PORTS = {
  webhooks: 9443,
  operator: 8081,
  apiServer: 8444,
  smtp: 2525,
  smtpHealth: 8025,
  emailFunction: 8443,
  trigger: 8084,
  console: 8090,
} as const;
type WebshopPorts = Record<keyof typeof WEBSHOP_PORTS, number>;

/** The demo's routing (topologies/demo.yaml): tenants, users and emails each in their own SQLite file. */
export function webshopTopology(): string {
  // The same from src/ under vitest and from dist/.
  return fileURLToPath(new URL('../topologies/demo.yaml', import.meta.url));
}

const LOOPBACK = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };

/** A serving certificate from the cluster CA for a component listening on loopback: `<name>-serving`, CN `cnpaas-<name>`. */
function loopbackServing(ctx: CompositionContext, name: string): ReturnType<CompositionContext['issue']> {
  return ctx.issue({ name: `${name}-serving`, commonName: `cnpaas-${name}`, usage: 'server', ...LOOPBACK });
}

async function webhooks(ctx: CompositionContext, ports: WebshopPorts): Promise<ComposedComponent> {
  const hostPort = `127.0.0.1:${ports.webhooks}`;
  // kube-apiserver calls them with its webhook client certificate (from the cluster CA).
  ctx.admitFrom(hostPort);
  const serving = await loopbackServing(ctx, 'webhooks');
  const descriptor = webhooksComponent({
    port: ports.webhooks,
    certFile: serving.cert,
    keyFile: serving.key,
    clientCaFile: ctx.clusterCaFile,
    kubeconfig: await ctx.kubeconfigFor(WEBHOOKS_CLIENT_NAME),
  });
  const configurations = renderWebhookConfigurations({
    baseUrl: `https://${hostPort}`,
    caBundle: readFileSync(ctx.clusterCaFile),
  }).yaml;
  return {
    descriptor,
    manifests: {
      // Step 4, the CRDs (with the namespace, RBAC and default template they need), go first.
      beforeStart: [...allManifests(), ...descriptor.manifests.beforeStart],
      afterReady: [ctx.writeManifest('webhook-configurations.yaml', configurations)],
    },
  };
}

async function apiServer(ctx: CompositionContext, ports: WebshopPorts): Promise<ComposedComponent> {
  // The aggregator checks the name cnpaas-api.cnpaas-system.svc (not the localhost it dials).
  const serving = await ctx.issue({
    name: 'api-server-serving',
    commonName: 'cnpaas-api',
    usage: 'server',
    dnsNames: [SERVICE_DNS_NAME, 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const descriptor = apiServerComponent({
    port: ports.apiServer,
    tlsCertFile: serving.cert,
    tlsPrivateKeyFile: serving.key,
    requestheaderClientCaFile: ctx.frontProxyCaFile,
    kubeconfig: await ctx.kubeconfigFor(API_SERVER_CLIENT_NAME),
  });
  // The key that signs verification links; applied before the api-server starts (the function starts later).
  const keyFile = ctx.secretFile({
    name: VERIFICATION_KEY_FILE,
    make: () => `${newVerificationKey()}\n`,
    valid: isUsableVerificationKey,
  });
  const verificationKey = ctx.writeManifest(
    'verification-key-secret.json',
    JSON.stringify(verificationKeySecret(readFileSync(keyFile, 'utf8').trim())),
  );
  const apiService = ctx.writeManifest(
    'apiservice.yaml',
    renderLocalApiService({ port: ports.apiServer, servingCaPem: readFileSync(ctx.clusterCaFile) }),
  );
  return {
    descriptor,
    manifests: {
      beforeStart: [...descriptor.manifests.beforeStart, verificationKey],
      afterReady: [...descriptor.manifests.afterReady.filter((f) => !f.endsWith('apiservice.yaml')), apiService],
      // An APIService whose server is gone blocks every namespace deletion (docs/design.md "Registrations").
      removeOnStop: [apiService],
    },
  };
}

/**
 * The demo's mail path: the SMTP sink (AUTH only after STARTTLS, with a certificate from the cluster CA the
 * function checks; the password in a 0600 file), the email function and the trigger that calls it.
 */
async function mailPath(ctx: CompositionContext, ports: WebshopPorts): Promise<ComposedComponent[]> {
  const smtpUser = 'cnpaas';
  const passwordFile = ctx.secretFile({
    name: 'smtp-password',
    make: () => `${randomBytes(18).toString('base64url')}\n`,
  });
  const mailDir = ctx.dir(MAIL_DIR);
  const smtpServing = await loopbackServing(ctx, 'smtp');
  const smtp = smtpComponent({
    port: ports.smtp,
    healthPort: ports.smtpHealth,
    mailDir,
    user: smtpUser,
    passwordFile,
    certFile: smtpServing.cert,
    keyFile: smtpServing.key,
  });
  // Delivery (trigger → function) runs on a CA of its own that kube-apiserver does not trust: the
  // function's serving certificate and the demo HTTPTrigger's client certificate (a Secret it names).
  // The trigger's cluster identity is for the apiserver only and never goes to a target.
  const deliveryCa = await ctx.ownCa({ name: 'delivery-ca', commonName: 'cnpaas-delivery-ca' });
  const functionServing = await ctx.issue({
    name: 'email-function-serving',
    commonName: FUNCTION_CLIENT_NAME,
    usage: 'server',
    ca: deliveryCa,
    ...LOOPBACK,
  });
  const deliveryClient = await ctx.issue({
    name: 'trigger-delivery-client',
    commonName: TRIGGER_CLIENT_NAME,
    usage: 'client',
    ca: deliveryCa,
  });
  const emailFunction = emailFunctionComponent({
    port: ports.emailFunction,
    certFile: functionServing.cert,
    keyFile: functionServing.key,
    clientCaFile: deliveryCa.certFile,
    kubeconfig: await ctx.kubeconfigFor(FUNCTION_CLIENT_NAME),
    smtp: {
      host: '127.0.0.1',
      port: ports.smtp,
      user: smtpUser,
      passwordFile,
      tls: 'starttls',
      caFile: ctx.clusterCaFile,
    },
    // Links in mails point at the console this stack starts.
    verifyUrl: `http://127.0.0.1:${ports.console}/verify`,
  });
  // The function listens on loopback, which the trigger refuses as a target unless allowed by name.
  const functionHostPort = `127.0.0.1:${ports.emailFunction}`;
  const trigger = triggerComponent({
    port: ports.trigger,
    kubeconfig: await ctx.kubeconfigFor(TRIGGER_CLIENT_NAME),
    allowTargets: [functionHostPort],
  });
  return [
    { descriptor: smtp },
    { descriptor: emailFunction, readyCaFile: deliveryCa.certFile },
    {
      descriptor: trigger,
      manifests: {
        ...trigger.manifests,
        vars: emailTriggerVars({
          functionBaseUrl: `https://${functionHostPort}`,
          caPem: readFileSync(deliveryCa.certFile),
          delivery: { certPem: readFileSync(deliveryClient.cert), keyPem: readFileSync(deliveryClient.key) },
        }),
      },
    },
  ];
}

export const service: ServiceComposition = {
  name: 'webshop',
  ports: WEBSHOP_PORTS,
  topology: webshopTopology(),
  commands: [mailCommand],
  cluster: clusterPart,
  async components(ctx) {
    const ports = ctx.ports as WebshopPorts;
    const webhooksComponent = await webhooks(ctx, ports);
    const operator = operatorComponent({
      port: ports.operator,
      kubeconfig: await ctx.kubeconfigFor(OPERATOR_CLIENT_NAME),
      // Here the registrations API runs as its certificate's CN, so that is the identity to bind.
      apiServerUser: API_SERVER_CLIENT_NAME,
    });
    const api = await apiServer(ctx, ports);
    const mail = await mailPath(ctx, ports);
    // The web console, last: it watches the webshop kinds and signs people up through the registrations API.
    const webConsole = consoleComponent({
      port: ports.console,
      kubeconfig: await ctx.kubeconfigFor(CONSOLE_CLIENT_NAME),
      topology: ctx.topology,
      mailDir: ctx.dir(MAIL_DIR),
      storeMetricsUrl: ctx.storeMetricsUrl,
    });
    return [
      webhooksComponent,
      // Its CRDs and RBAC went with the webhooks', which must admit the kinds before anything writes them.
      { descriptor: operator, manifests: { beforeStart: [], afterReady: [] } },
      api,
      ...mail,
      { descriptor: webConsole },
    ];
  },
};
