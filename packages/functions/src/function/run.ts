/**
 * Wires the function process: certificates, kubeconfig, SMTP settings,
 * the protocol over KubeEmailStatusStore, the server, and signals
 * (SIGTERM/SIGINT stop after requests in flight, SIGHUP reloads the
 * certificates). Loaded by function-main.ts only after the flags parsed.
 */
import { readMtlsMaterial, serveMtlsUntilStopped } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import { EmailDelivery } from '../claim/exactly-once.js';
import { KubeEmailStatusStore } from '../claim/kube-status-store.js';
import { DEFAULT_SMTP_POOL_SIZE, EmailSender } from '../email/sender.js';
import { KubeVerificationKey } from '../email/verification-key.js';
import { VerificationLinks } from '../email/verification-link.js';
import { describeSmtpSettings, loadSmtpSettings } from '../email/smtp-settings.js';
import { FunctionsError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { FunctionConfig } from './config.js';
import { FunctionMetrics } from './metrics.js';
import { EmailFunctionServer } from './server.js';

export async function run(config: FunctionConfig, version: string): Promise<void> {
  // The certificate files first: a missing one is the first thing to fix.
  const tls = readMtlsMaterial(config, FunctionsError.kit);
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the function's kubeconfig from cnpaas up",
    error: FunctionsError.kit,
  });
  const settings = loadSmtpSettings(process.env);
  const log = createLogger({ level: config.logLevel });
  const metrics = new FunctionMetrics({ processMetrics: true });
  const sender = new EmailSender({
    settings,
    log,
    deadlineMs: config.sendDeadlineMs,
    poolSize: DEFAULT_SMTP_POOL_SIZE,
  });
  const verificationKey = new KubeVerificationKey(kc);
  const links = new VerificationLinks({ key: () => verificationKey.get(), baseUrl: config.verifyUrl });
  const delivery = new EmailDelivery({
    store: new KubeEmailStatusStore(kc),
    personalise: (email) => links.personalise(email),
    sender,
    log,
    claimLeaseMs: config.claimLeaseMs,
  });
  await serveMtlsUntilStopped({
    config,
    tls,
    build: (tls) =>
      new EmailFunctionServer({
        tls,
        allowedClientNames: config.allowedClientNames,
        delivery,
        log,
        metrics,
      }),
    log,
    error: FunctionsError.kit,
    listening: (url) =>
      log.info(
        {
          url,
          version,
          instanceId: delivery.instanceId,
          smtp: describeSmtpSettings(settings),
          allowedClientNames: config.allowedClientNames,
          verifyUrl: config.verifyUrl,
        },
        'listening',
      ),
    close: () => {
      verificationKey.close();
      sender.close();
    },
  });
}
