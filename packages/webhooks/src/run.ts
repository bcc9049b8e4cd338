/**
 * Wires the running process: reads the certificate files and the
 * kubeconfig, builds the server with the webshop routes, listens, and
 * handles signals (SIGTERM/SIGINT stop, SIGHUP reloads the certificates).
 * Loaded by main.ts only after the flags parsed, so `--help` and flag errors
 * answer without loading fastify and client-node.
 */
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { WebhooksConfig } from './config.js';
import { EmailClaims } from './email-claim.js';
import { WebhooksError, errorMessage } from './errors.js';
import { KubeClaimStore } from './kube-claim-store.js';
import { createLogger } from './logger.js';
import { WebhookMetrics } from './metrics.js';
import { PasswordHasher } from './password-hash.js';
import { webshopRoutes } from './routes.js';
import { WebhookServer, type TlsMaterial } from './server.js';

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_TLS', `cannot read ${flag} ${file}: ${errorMessage(err)}`, {
      hint: 'point the flag at the PEM file cnpaas up\'s PKI wrote (under <state-dir>/pki/)',
      cause: err,
    });
  }
}

function readTls(config: WebhooksConfig): TlsMaterial {
  return {
    cert: readPem(config.certFile, '--cert-file'),
    key: readPem(config.keyFile, '--key-file'),
    clientCa: config.clientCaFile ? readPem(config.clientCaFile, '--client-ca-file') : undefined,
  };
}

function loadKubeConfig(config: WebhooksConfig): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (config.inCluster) kc.loadFromCluster();
    else if (config.kubeconfig!.includes(delimiter)) {
      process.env['KUBECONFIG'] = config.kubeconfig;
      kc.loadFromDefault();
    } else kc.loadFromFile(config.kubeconfig!);
  } catch (err) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_KUBECONFIG', `cannot load kubeconfig ${config.kubeconfig ?? '(in-cluster)'}: ${errorMessage(err)}`, {
      hint: 'pass --kubeconfig with the webhooks\' kubeconfig from cnpaas up',
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_KUBECONFIG', `kubeconfig ${config.kubeconfig ?? '(in-cluster)'} has no current cluster`, {
      hint: 'set current-context in it',
    });
  }
  return kc;
}

export async function run(config: WebhooksConfig, version: string): Promise<void> {
  const tls = readTls(config);
  const kc = loadKubeConfig(config);
  const log = createLogger({ level: config.logLevel });
  const metrics = new WebhookMetrics({ processMetrics: true });
  const hasher = new PasswordHasher();
  const claims = new EmailClaims({ store: new KubeClaimStore(kc), onOutcome: (outcome) => metrics.countClaim(outcome) });
  let server: WebhookServer;
  try {
    server = new WebhookServer({ tls, allowedClientNames: config.allowedClientNames, routes: webshopRoutes({ hasher, claims }), log, metrics });
    await server.app.ready();
  } catch (err) {
    if (err instanceof WebhooksError) throw err;
    throw new WebhooksError('CNPAAS_WEBHOOKS_TLS', `TLS setup failed: ${errorMessage(err)}`, {
      hint: 'check that --key-file is the key of --cert-file and both are PEM',
      cause: err,
    });
  }
  const url = await server.listen({ host: config.host, port: config.port });
  log.info({ url, version, clientCertificateRequired: !!config.clientCaFile, allowedClientNames: config.allowedClientNames }, 'listening');
  if (!config.clientCaFile) log.warn('no --client-ca-file: admission routes accept callers without a client certificate');

  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      server.setTls(readTls(config));
      log.info('certificates reloaded');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'certificate reload failed; keeping the current certificates');
    }
  });
}
