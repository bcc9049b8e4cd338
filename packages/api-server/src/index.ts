/**
 * @cnpaas/api-server: the aggregated API api.webshop.cnpaas.dev/v1
 * (registrations) behind kube-apiserver. See README.md.
 */
export { ApiServerError, errorMessage, type ApiServerErrorCode } from './errors.js';
export * from './api-group.js';
export {
  failure,
  reasonForCode,
  type KubeStatus,
  type StatusCause,
  type StatusDetails,
  type StatusReason,
} from './status.js';
export { createLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { ApiServerMetrics } from './metrics.js';
export { HttpKubeApi, type KubeApi } from './kube-api.js';
export {
  SubjectAccessReviewAuthorizer,
  askReviewWith,
  reviewSpec,
  type AskReview,
  type Attributes,
  type AuthorizerOptions,
  type Decision,
  type SubjectAccessReviewSpec,
  type SubjectAccessReviewStatus,
  type UserInfo,
} from './authorizer.js';
export {
  bodyFormat,
  decodeBody,
  toRegistrationRequest,
  DEFAULT_GENERATE_NAME,
  type RegistrationRequest,
} from './registration-body.js';
export { REGISTRATION_SPEC_SCHEMA, REGISTRATION_STATUS_SCHEMA } from './registration-schema.js';
export {
  RegistrationFlow,
  toRegistration,
  createFailure,
  type Registration,
  type RegisterInput,
  type RegisterOutcome,
} from './registration-flow.js';
export { apiGroupList, apiGroup, apiResourceList, apiGroupDiscoveryList, negotiateDiscovery } from './discovery.js';
export { openApiV3, groupVersionDocument } from './openapi.js';
export { ApiServer, UNAUTHENTICATED_PATHS, attributesFor, type ApiServerOptions, type TlsMaterial } from './server.js';
// The servers' listen takes the kit's HostPort; the old name stays for callers.
export type { HostPort as ListenOptions } from '@cnpaas/service-kit';
export {
  MANIFEST_FILES,
  manifestPath,
  encodeCaBundle,
  readManifest,
  renderLocalApiService,
  type LocalApiServiceOptions,
} from './manifests.js';
export {
  API_SERVER_CLIENT_NAME,
  REGISTRANT_CLUSTER_ROLE,
  apiServerComponent,
  type ApiServerComponentOptions,
} from './component.js';
export {
  parseConfig,
  parseListen,
  parseDuration,
  USAGE,
  DEFAULT_LISTEN,
  DEFAULT_BODY_LIMIT,
  DEFAULT_REGISTRATION_TIMEOUT_MS,
  type ApiServerConfig,
} from './config.js';
