/**
 * @cnpaas/service-kit: what every cnpaas server process shares. See
 * README.md. Two modules have their own entry points so that importing this
 * one stays cheap: `@cnpaas/service-kit/kubeconfig` (client-node) and
 * `@cnpaas/service-kit/testing` (tests only).
 */
export { ServiceError, errorMessage, type ServiceErrorOptions, type ErrorFactory, type KitFailure, type KitErrorOptions } from './errors.js';
export type { CertificateNeed, ComponentDescriptor } from './component.js';
export { hostPort, parseHostPort, type HostPort } from './address.js';
export {
  Flags,
  LOG_LEVELS,
  parseDurationFlag,
  parseListenFlag,
  readFlags,
  type FlagParseOptions,
  type FlagProblem,
  type FlagTable,
  type KubeconfigSource,
  type ReadFlagsOptions,
} from './flags.js';
export { readPem, tlsSetup, type ReadPemOptions, type TlsSetupOptions } from './tls.js';
export { listenOrExplain, serverUrl, type ListenOrExplainOptions } from './listen.js';
export { clientCertificateCheck, peerCommonNames, type ClientCertificateCheckOptions } from './client-certificate.js';
export { startHealthServer, type HealthServer, type HealthServerOptions } from './health-server.js';
export {
  BASE_REDACT_PATHS,
  createServiceLogger,
  loggerFactory,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  type ServiceLoggerOptions,
} from './logger.js';
export { runMain, type MainOptions } from './main.js';
export { runUntilStopped, type RunUntilStoppedOptions } from './run.js';
