/**
 * Wires the running process: reads the certificate files and the
 * kubeconfig, builds the server with the webshop routes, listens, and runs
 * until SIGTERM/SIGINT (SIGHUP reloads the certificates). Loaded by main.ts
 * only after the flags parsed, so `--help` and flag errors answer without
 * loading fastify and client-node.
 */
import { readMtlsMaterial, serveMtlsUntilStopped } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import type { WebhooksConfig } from './config.js';
import { EmailClaims, KubeClaimStore } from './email-claim.js';
import { WebhooksError } from './errors.js';
import { createLogger } from './logger.js';
import { WebhookMetrics } from './metrics.js';
import { PasswordHasher } from './password-hash.js';
import { webshopRoutes } from './routes.js';
import { UserEmailIndex } from './user-email-index.js';
import { WebhookServer } from './server.js';

export async function run(config: WebhooksConfig, version: string): Promise<void> {
  // The certificate files first: a missing one is the first thing to fix.
  const tls = readMtlsMaterial(config, WebhooksError.kit);
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the webhooks' kubeconfig from cnpaas up",
    error: WebhooksError.kit,
  });
  const log = createLogger({ level: config.logLevel });
  const metrics = new WebhookMetrics({ processMetrics: true });
  const hasher = new PasswordHasher({ argon2id: config.argon2idCost });
  // Started before the server listens; until its first list is in, claims fall back to the consistent LIST.
  const userIndex = new UserEmailIndex({ kubeConfig: kc, log });
  userIndex.start();
  const claims = new EmailClaims({
    store: new KubeClaimStore(kc, { userIndex }),
    onOutcome: (outcome) => metrics.countClaim(outcome),
  });
  await serveMtlsUntilStopped({
    config,
    tls,
    build: (tls) =>
      new WebhookServer({
        tls,
        allowedClientNames: config.allowedClientNames,
        routes: webshopRoutes({ hasher, claims }),
        log,
        metrics,
      }),
    log,
    error: WebhooksError.kit,
    listening: (url) => log.info({ url, version, allowedClientNames: config.allowedClientNames }, 'listening'),
    close: () => userIndex.stop(),
  });
}
