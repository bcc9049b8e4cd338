/**
 * The webshop's cluster part (`service.cluster`): what `cnpaas install` puts
 * into a cluster for it besides deploy/'s overlay. Its four TLS Services;
 * the trigger's delivery CA and client certificate (a CA only the email
 * function trusts); the demo SMTP server's password and the function's SMTP
 * settings; the web console's token; the key that signs verification links;
 * and the demo HTTPTrigger with its delivery Secret. Every value is kept
 * across re-installs (links already mailed stay valid, passwords never
 * change).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ClusterContext, ServiceClusterPart } from '@cnpaas/service-kit';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { SYSTEM_NAMESPACE, VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import { clusterDemoTrigger } from './cluster-demo-trigger.js';
import { newVerificationKey, verificationKeySecret } from './verification-key.js';

/** deploy/ of this checkout: the webshop's Kustomize base and overlays (the same from src/ and dist/). */
export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** The admission webhooks' Service (deploy/base). */
const WEBHOOKS_SERVICE = 'cnpaas-webhooks';

/** The Services that serve TLS, each with the Secret its pods mount (deploy/base). */
export const SERVING = [
  { secret: 'cnpaas-webhooks-serving', service: WEBHOOKS_SERVICE },
  { secret: 'cnpaas-api-serving', service: 'cnpaas-api' },
  { secret: 'cnpaas-email-function-serving', service: 'cnpaas-email-function' },
  { secret: 'cnpaas-smtp-serving', service: 'cnpaas-smtp' },
] as const;

export const SMTP_USER = 'cnpaas';
const SMTP_PORT = 2525;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function secret(namespace: string, name: string, data: Record<string, string>): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function configMap(namespace: string, name: string, data: Record<string, string>): ManifestObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** The installed random value, else a new one (so a re-install changes nothing). */
async function kept(ctx: ClusterContext, secretName: string, key: string): Promise<string> {
  return (await ctx.installed(secretName, key)) ?? randomBytes(24).toString('base64url');
}

async function objects(ctx: ClusterContext): Promise<ManifestObject[]> {
  const { namespace } = ctx;
  // The trigger's delivery identity comes from a CA only the email function trusts.
  const deliveryCa = await ctx.ownCa({
    secret: 'cnpaas-trigger-delivery-ca',
    commonName: 'cnpaas trigger delivery CA',
  });
  const delivery = await ctx.issue({
    secret: 'email-trigger-delivery',
    commonName: 'cnpaas-trigger',
    usage: 'client',
    ca: deliveryCa,
  });
  const password = await kept(ctx, 'cnpaas-smtp-auth', 'password');
  const demoTrigger = clusterDemoTrigger({ namespace, servingCaPem: ctx.servingCaPem, delivery });
  return [
    configMap(namespace, 'cnpaas-trigger-delivery-ca', { 'ca.crt': deliveryCa.certPem }),
    secret(namespace, 'cnpaas-smtp-auth', { password }),
    secret(namespace, 'cnpaas-email-function-smtp', {
      'smtp-host': `cnpaas-smtp.${namespace}.svc`,
      'smtp-port': String(SMTP_PORT),
      'smtp-username': SMTP_USER,
      'smtp-password': password,
      'smtp-tls': 'starttls',
    }),
    configMap(namespace, 'cnpaas-smtp-ca', { 'ca.crt': ctx.servingCaPem }),
    // Off loopback the console serves its API only to callers with this token (its Deployment reads it).
    secret(namespace, 'cnpaas-console-token', { token: await kept(ctx, 'cnpaas-console-token', 'token') }),
    // Kept when present: links already mailed must stay valid across re-installs.
    verificationKeySecret(
      (await ctx.installed(VERIFICATION_KEY_SECRET.name, VERIFICATION_KEY_SECRET.key)) ?? newVerificationKey(),
    ),
    ...ctx.render(demoTrigger),
  ];
}

/** A registration, the console and its token: what to try first. */
function nextSteps({ kubeconfig, namespace }: { kubeconfig: string; namespace: string }): string[] {
  return [
    `kubectl --kubeconfig ${kubeconfig} create -f examples/registration.yaml   # a registration, answered by the cluster`,
    `kubectl --kubeconfig ${kubeconfig} -n ${namespace} port-forward svc/cnpaas-console 8090   # the web console at http://127.0.0.1:8090/`,
    `kubectl --kubeconfig ${kubeconfig} -n ${namespace} get secret cnpaas-console-token -o jsonpath='{.data.token}' | base64 -d   # its token`,
  ];
}

export const clusterPart: ServiceClusterPart = {
  deployDir: DEPLOY_DIR,
  namespace: SYSTEM_NAMESPACE,
  serving: SERVING,
  admissionWebhooks: [WEBHOOKS_SERVICE],
  objects,
  nextSteps,
};
