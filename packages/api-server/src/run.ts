/**
 * Wires the running process: reads the certificate files and the
 * kubeconfig, builds the server, listens, and handles signals (SIGTERM and
 * SIGINT stop, SIGHUP reloads the certificates). Loaded by main.ts only after
 * the flags parsed, so `--help` and flag errors answer without loading
 * fastify and client-node.
 */
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ApiServerConfig } from './config.js';
import { ApiServerError, errorMessage } from './errors.js';
import { HttpKubeApi } from './kube-client.js';
import { createLogger } from './logger.js';
import { ApiServerMetrics } from './metrics.js';
import { ApiServer, type TlsMaterial } from './server.js';

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ApiServerError('CNPAAS_API_TLS', `cannot read ${flag} ${file}: ${errorMessage(err)}`, {
      hint: 'point the flag at the PEM file cnpaas up\'s PKI wrote (under <state-dir>/pki/)',
      cause: err,
    });
  }
}

function readTls(config: ApiServerConfig): TlsMaterial {
  return {
    cert: readPem(config.tlsCertFile, '--tls-cert-file'),
    key: readPem(config.tlsPrivateKeyFile, '--tls-private-key-file'),
    requestheaderCa: readPem(config.requestheaderClientCaFile, '--requestheader-client-ca-file'),
  };
}

function loadKubeConfig(config: ApiServerConfig): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (config.inCluster) kc.loadFromCluster();
    else if (config.kubeconfig!.includes(delimiter)) {
      process.env['KUBECONFIG'] = config.kubeconfig;
      kc.loadFromDefault();
    } else kc.loadFromFile(config.kubeconfig!);
  } catch (err) {
    throw new ApiServerError('CNPAAS_API_KUBECONFIG', `cannot load kubeconfig ${config.kubeconfig ?? '(in-cluster)'}: ${errorMessage(err)}`, {
      hint: 'pass --kubeconfig with the api-server\'s kubeconfig from cnpaas up',
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new ApiServerError('CNPAAS_API_KUBECONFIG', `kubeconfig ${config.kubeconfig ?? '(in-cluster)'} has no current cluster`, { hint: 'set current-context in it' });
  }
  return kc;
}

export async function run(config: ApiServerConfig, version: string): Promise<void> {
  const tls = readTls(config);
  const kc = loadKubeConfig(config);
  const log = createLogger({ level: config.logLevel });
  const metrics = new ApiServerMetrics({ processMetrics: true });
  let server: ApiServer;
  try {
    server = new ApiServer({
      tls,
      allowedNames: config.requestheaderAllowedNames,
      kube: new HttpKubeApi(kc),
      log,
      metrics,
      registrationTimeoutMs: config.registrationTimeoutMs,
      bodyLimit: config.maxBodyBytes,
    });
    await server.app.ready();
  } catch (err) {
    if (err instanceof ApiServerError) throw err;
    throw new ApiServerError('CNPAAS_API_TLS', `TLS setup failed: ${errorMessage(err)}`, {
      hint: 'check that --tls-private-key-file is the key of --tls-cert-file and all three files are PEM',
      cause: err,
    });
  }
  const url = await server.listen({ host: config.host, port: config.port });
  log.info(
    { url, version, allowedNames: config.requestheaderAllowedNames, registrationTimeoutMs: config.registrationTimeoutMs, kubeServer: kc.getCurrentCluster()?.server },
    'listening',
  );

  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping; registrations in flight finish first');
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
