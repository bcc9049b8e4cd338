/**
 * Wires the function process: certificates, kubeconfig, SMTP settings,
 * the protocol over KubeEmailStatusStore, the server, and signals
 * (SIGTERM/SIGINT stop after requests in flight, SIGHUP reloads the
 * certificates). Loaded by function-main.ts only after the flags parsed.
 */
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { EmailDelivery } from '../claim/exactly-once.js';
import { KubeEmailStatusStore } from '../claim/kube-status-store.js';
import { EmailSender } from '../email/sender.js';
import { describeSmtpSettings, loadSmtpSettings } from '../email/smtp-settings.js';
import { FunctionsError, errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import type { FunctionConfig } from './config.js';
import { FunctionMetrics } from './metrics.js';
import { EmailFunctionServer, type TlsMaterial } from './server.js';

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_TLS', `cannot read ${flag} ${file}: ${errorMessage(err)}`, {
      hint: 'point the flag at the PEM file cnpaas up\'s PKI wrote (under <state-dir>/pki/)',
      cause: err,
    });
  }
}

function readTls(config: FunctionConfig): TlsMaterial {
  return { cert: readPem(config.certFile, '--cert-file'), key: readPem(config.keyFile, '--key-file'), clientCa: readPem(config.clientCaFile, '--client-ca-file') };
}

function loadKubeConfig(config: FunctionConfig): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (config.inCluster) kc.loadFromCluster();
    else if (config.kubeconfig!.includes(delimiter)) {
      process.env['KUBECONFIG'] = config.kubeconfig;
      kc.loadFromDefault();
    } else kc.loadFromFile(config.kubeconfig!);
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_KUBECONFIG', `cannot load kubeconfig ${config.kubeconfig ?? '(in-cluster)'}: ${errorMessage(err)}`, {
      hint: 'pass --kubeconfig with the function\'s kubeconfig from cnpaas up',
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_KUBECONFIG', `kubeconfig ${config.kubeconfig ?? '(in-cluster)'} has no current cluster`, { hint: 'set current-context in it' });
  }
  return kc;
}

export async function run(config: FunctionConfig, version: string): Promise<void> {
  const tls = readTls(config);
  const kc = loadKubeConfig(config);
  const settings = loadSmtpSettings(process.env);
  const log = createLogger({ level: config.logLevel });
  const metrics = new FunctionMetrics({ processMetrics: true });
  const sender = new EmailSender({ settings, log, deadlineMs: config.sendDeadlineMs });
  const delivery = new EmailDelivery({ store: new KubeEmailStatusStore(kc), sender, log, claimLeaseMs: config.claimLeaseMs });
  let server: EmailFunctionServer;
  try {
    server = new EmailFunctionServer({ tls, allowedClientNames: config.allowedClientNames, delivery, log, metrics });
    await server.app.ready();
  } catch (err) {
    if (err instanceof FunctionsError) throw err;
    throw new FunctionsError('CNPAAS_FUNCTIONS_TLS', `TLS setup failed: ${errorMessage(err)}`, { hint: 'check that --key-file is the key of --cert-file and both are PEM', cause: err });
  }
  const url = await server.listen({ host: config.host, port: config.port });
  log.info({ url, version, instanceId: delivery.instanceId, smtp: describeSmtpSettings(settings), allowedClientNames: config.allowedClientNames }, 'listening');

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
