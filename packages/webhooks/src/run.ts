/**
 * Wires the running process: reads the certificate files and the
 * kubeconfig, builds the server with the webshop routes, listens, and runs
 * until SIGTERM/SIGINT (SIGHUP reloads the certificates). Loaded by main.ts
 * only after the flags parsed, so `--help` and flag errors answer without
 * loading fastify and client-node.
 */
import { readPem, serveUntilStopped } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import type { WebhooksConfig } from './config.js';
import { EmailClaims, KubeClaimStore } from './email-claim.js';
import { kitError } from './errors.js';
import { createLogger } from './logger.js';
import { WebhookMetrics } from './metrics.js';
import { PasswordHasher } from './password-hash.js';
import { webshopRoutes } from './routes.js';
import { WebhookServer, type TlsMaterial } from './server.js';

function readTls(config: WebhooksConfig): TlsMaterial {
  return {
    cert: readPem(config.certFile, { flag: 'cert-file', error: kitError }),
    key: readPem(config.keyFile, { flag: 'key-file', error: kitError }),
    clientCa: readPem(config.clientCaFile, { flag: 'client-ca-file', error: kitError }),
  };
}

export async function run(config: WebhooksConfig, version: string): Promise<void> {
  // The certificate files first: a missing one is the first thing to fix.
  const tls = readTls(config);
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the webhooks' kubeconfig from cnpaas up",
    error: kitError,
  });
  const log = createLogger({ level: config.logLevel });
  const metrics = new WebhookMetrics({ processMetrics: true });
  const hasher = new PasswordHasher({ argon2id: config.argon2idCost });
  const claims = new EmailClaims({
    store: new KubeClaimStore(kc),
    onOutcome: (outcome) => metrics.countClaim(outcome),
  });
  await serveUntilStopped({
    readTls: () => readTls(config),
    tls,
    build: (tls) =>
      new WebhookServer({
        tls,
        allowedClientNames: config.allowedClientNames,
        routes: webshopRoutes({ hasher, claims }),
        log,
        metrics,
      }),
    at: config,
    log,
    error: kitError,
    tlsHint: 'check that --key-file is the key of --cert-file and both are PEM',
    listening: (url) => log.info({ url, version, allowedClientNames: config.allowedClientNames }, 'listening'),
  });
}
