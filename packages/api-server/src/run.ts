/**
 * Wires the running process: reads the certificate files and the
 * kubeconfig, builds the server, listens, and runs until SIGTERM/SIGINT
 * (registrations in flight finish first; SIGHUP reloads the certificates).
 * Loaded by main.ts only after the flags parsed, so `--help` and flag errors
 * answer without loading fastify and client-node.
 */
import { CallerRateLimiter, readPem, serveUntilStopped } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import type { ApiServerConfig } from './config.js';
import { ApiServerError } from './errors.js';
import { HttpKubeApi } from './kube-api.js';
import { createLogger } from './logger.js';
import { ApiServerMetrics } from './metrics.js';
import { ApiServer, type TlsMaterial } from './server.js';

function readTls(config: ApiServerConfig): TlsMaterial {
  return {
    cert: readPem(config.tlsCertFile, { flag: 'tls-cert-file', error: ApiServerError.kit }),
    key: readPem(config.tlsPrivateKeyFile, { flag: 'tls-private-key-file', error: ApiServerError.kit }),
    requestheaderCa: readPem(config.requestheaderClientCaFile, {
      flag: 'requestheader-client-ca-file',
      error: ApiServerError.kit,
    }),
  };
}

export async function run(config: ApiServerConfig, version: string): Promise<void> {
  // The certificate files first: a missing one is the first thing to fix.
  const tls = readTls(config);
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the api-server's kubeconfig from cnpaas up",
    error: ApiServerError.kit,
  });
  const log = createLogger({ level: config.logLevel });
  const metrics = new ApiServerMetrics({ processMetrics: true });
  // Registrations in flight finish when it stops, each within its timeout.
  await serveUntilStopped({
    readTls: () => readTls(config),
    tls,
    build: (tls) =>
      new ApiServer({
        tls,
        allowedNames: config.requestheaderAllowedNames,
        kube: new HttpKubeApi(kc),
        log,
        metrics,
        registrationTimeoutMs: config.registrationTimeoutMs,
        bodyLimit: config.maxBodyBytes,
        registrationLimiter: new CallerRateLimiter({
          perMinute: config.registrationRatePerMinute,
          burst: config.registrationBurst,
        }),
      }),
    at: config,
    log,
    error: ApiServerError.kit,
    tlsHint: 'check that --tls-private-key-file is the key of --tls-cert-file and all three files are PEM',
    listening: (url) =>
      log.info(
        {
          url,
          version,
          allowedNames: config.requestheaderAllowedNames,
          registrationTimeoutMs: config.registrationTimeoutMs,
          registrationRate: { perMinute: config.registrationRatePerMinute, burst: config.registrationBurst },
          kubeServer: kc.getCurrentCluster()?.server,
        },
        'listening',
      ),
  });
}
