/**
 * @cnpaas/service-kit: what every cnpaas server process shares. See
 * README.md. Two modules have their own entry points so that importing this
 * one stays cheap: `@cnpaas/service-kit/kubeconfig` (client-node) and
 * `@cnpaas/service-kit/testing` (tests only).
 */
export {
  HttpServiceError,
  ServiceError,
  errorMessage,
  kitErrors,
  type ServiceErrorOptions,
  type HttpServiceErrorOptions,
  type ErrorFactory,
  type AdmissionFailure,
  type FrontProxyFailure,
  type KitFailure,
  type KitErrorOptions,
} from './errors.js';
export {
  defineErrors,
  type DefineErrorsOptions,
  type ErrorCodeInfo,
  type ErrorCodeTable,
  type KitKindsOf,
  type RegisteredErrorClass,
} from './define-errors.js';
export {
  listenAddress,
  listeningProcess,
  nodeProcess,
  type CertificateNeed,
  type ComponentDescriptor,
  type ListenOptions,
  type ListeningProcessOptions,
  type NodeProcess,
  type NodeProcessOptions,
} from './component.js';
export type {
  ClusterCa,
  ClusterContext,
  ClusterIssueRequest,
  ServiceClusterPart,
  ServingSecret,
} from './cluster-part.js';
export {
  APISERVER_WEBHOOK_CLIENT_NAME,
  type ComposedComponent,
  type CompositionContext,
  type IssueRequest,
  type IssuedFiles,
  type OwnCa,
  type ServiceCommand,
  type ServiceComposition,
} from './composition.js';
export { hostPort, parseHostPort, type HostPort } from './address.js';
export { CallerRateLimiter, type RateDecision, type RateLimitOptions } from './caller-rate-limit.js';
export {
  Flags,
  LOG_LEVELS,
  flagTable,
  parseDurationFlag,
  parseListenFlag,
  readFlags,
  type FlagParseOptions,
  type FlagProblem,
  type FlagTable,
  type FlagTableOptions,
  type KubeconfigSource,
  type ReadFlagsOptions,
} from './flags.js';
export {
  MAX_TOKEN_LENGTH,
  MIN_TOKEN_KEY_BYTES,
  signToken,
  verifyToken,
  type SignTokenOptions,
  type TokenCheck,
  type TokenClaims,
  type VerifyTokenOptions,
} from './signed-token.js';
export { readPem, tlsSetup, type ReadPemOptions, type TlsSetupOptions } from './tls.js';
export {
  MTLS_SERVING_FLAGS,
  MTLS_TLS_HINT,
  mtlsProcess,
  mtlsServingArgs,
  mtlsServingTls,
  readMtlsMaterial,
  readMtlsServing,
  serveMtlsUntilStopped,
  type MtlsComponentOptions,
  type MtlsFiles,
  type MtlsMaterial,
  type MtlsProcessOptions,
  type MtlsServingConfig,
  type MtlsServingArgsOptions,
  type MtlsServingRules,
  type ServeMtlsOptions,
} from './mtls-serving.js';
export type { GroupVersion, GroupVersionKind, GroupVersionResource } from './group-version.js';
export {
  MtlsJsonService,
  type AnsweringErrors,
  type JsonServiceMetrics,
  type MtlsJsonServerKind,
  type MtlsJsonServerOptions,
} from './mtls-json-service.js';
export { ephemeralPortLow, freePort, probePort } from './free-port.js';
export { listenOrExplain, serverUrl, type ListenOrExplainOptions } from './listen.js';
export { clientCertificateCheck, peerCommonNames, type ClientCertificateCheckOptions } from './client-certificate.js';
export { startHealthServer, type HealthServer, type HealthServerOptions } from './health-server.js';
export {
  HEALTH_PATHS,
  addHealthRoutes,
  type HealthReply,
  type HealthRouteTarget,
  type HealthRoutesOptions,
  type MetricsRegistry,
} from './health-routes.js';
export { fastifyHttpsOptions, secureContext, type FastifyHttpsOptions, type ServingTls } from './https-options.js';
export { HttpsService, type HttpsApp, type HttpsServiceOptions } from './https-service.js';
export { parseJsonBodies, type ContentTypeParsers, type ParseJsonBodiesOptions } from './json-body.js';
export { serveJson, type JsonApp, type ServeJsonOptions } from './json-server.js';
export {
  failureStatus,
  jsonErrorHandler,
  logFailure,
  type AnsweredError,
  type JsonErrorHandlerOptions,
  type JsonReply,
  type RequestFailure,
  type RequestLog,
} from './error-handler.js';
export {
  BASE_REDACT_PATHS,
  createServiceLogger,
  loggerFactory,
  redactAtDepths,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
  type ServiceLoggerOptions,
} from './logger.js';
export { runMain, type MainOptions } from './main.js';
export { runUntilStopped, type RunUntilStoppedOptions } from './run.js';
export { serveUntilStopped, type ServeUntilStoppedOptions, type ServedHttps } from './serve.js';
// All of it is the kit's admission API: the AdmissionReview types and the helpers that read and answer one.
export * from './admission-review.js';
export {
  DEFAULT_REQUESTHEADER_ALLOWED_NAMES,
  EXTRA_HEADER_PREFIX,
  GROUP_HEADER,
  UID_HEADER,
  USER_HEADER,
  authenticateFrontProxy,
  type FrontProxyAuthOptions,
  type ProxiedUser,
} from './front-proxy-auth.js';
export {
  APIGROUP_DISCOVERY_V2,
  APIGROUP_DISCOVERY_V2BETA1,
  addDiscoveryRoutes,
  apiGroup,
  apiGroupDiscoveryList,
  apiGroupList,
  apiResourceList,
  negotiateDiscovery,
  type DiscoveryReply,
  type DiscoveryRouteTarget,
  type ServedGroupVersion,
  type ServedResource,
} from './discovery.js';
export {
  kubeFailure,
  reasonForCode,
  type KubeFailureOptions,
  type KubeStatus,
  type KubeStatusCause,
  type StatusDetails,
  type StatusReason,
} from './kube-status.js';
