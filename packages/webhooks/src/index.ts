/**
 * @cnpaas/webhooks: the admission webhooks of the webshop CRDs (password
 * hashing, validation, email claims) and their HTTPS server. See README.md.
 */
export { WebhooksError, errorMessage, type WebhooksErrorCode } from './errors.js';
// The AdmissionReview types, checks and answers are @cnpaas/service-kit's; import them from there.
export {
  PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  checkPasswordPolicy,
  describePasswordViolations,
  normalisePassword,
  type PasswordRule,
  type PasswordViolation,
} from './password-policy.js';
export * from './password-hash.js';
// The field checks a webhook is built from, with their rules and limits.
export * from './validation.js';
export {
  checkUserSpec,
  createUserValidator,
  USER_PASSWORD_ANNOTATION,
  type UserValidatorOptions,
} from './user-validate.js';
export { checkTenantSpec, createTenantValidator, TENANT_LIMITS } from './tenant-validate.js';
export {
  checkRegistrationSpec,
  createRegistrationValidator,
  MUTATING_WEBHOOK_NAME,
  type RegistrationValidatorOptions,
} from './registration-validate.js';
export {
  createRegistrationMutator,
  defaultCompanyName,
  type RegistrationMutatorOptions,
} from './registration-mutate.js';
export { IssuedPasswords, type IssuedPasswordsOptions } from './issued-passwords.js';
export { dryRunPasswordPlaceholder, isDryRunPasswordPlaceholder } from './dry-run-password.js';
export {
  CLAIM_HASH_HEX_LENGTH,
  CLAIM_NAME_PREFIX,
  EmailClaims,
  claimNameFor,
  emailSha256,
  type ClaimOutcome,
  type ClaimOwner,
  type ClaimRequest,
  type ClaimStore,
  type EmailClaim,
  type EmailClaimsOptions,
  type UserRecord,
  CLAIM_LABEL,
  CLAIMED_BY_ANNOTATION,
  USER_UID_LABEL,
  KubeClaimStore,
  claimFromConfigMap,
  claimToConfigMap,
  type KubeClaimStoreOptions,
} from './email-claim.js';
export { createLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { WebhookMetrics } from './metrics.js';
export { WEBHOOKS, webshopRoutes, type WebhookRoute, type WebshopRoutesOptions } from './routes.js';
export { DEFAULT_BODY_LIMIT, WebhookServer, type TlsMaterial, type WebhookServerOptions } from './server.js';
// The servers' listen takes the kit's HostPort; the old name stays for callers.
export type { HostPort as ListenOptions } from '@cnpaas/service-kit';
export {
  MANIFEST_FILES,
  manifestPath,
  rbacManifests,
  renderWebhookConfigurations,
  checkWebhookBaseUrl,
  encodeCaBundle,
  type RenderWebhookConfigurationsOptions,
  type RenderedWebhookConfigurations,
} from './manifests.js';
export {
  APISERVER_WEBHOOK_CLIENT_NAME,
  WEBHOOKS_CLIENT_NAME,
  webhooksComponent,
  type WebhooksComponentOptions,
} from './component.js';
export { parseConfig, parseListen, USAGE, DEFAULT_LISTEN, type WebhooksConfig } from './config.js';
export {
  REGISTRATION_UID_LABEL,
  RESOURCES,
  SYSTEM_NAMESPACE,
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
  type RegistrationRequest,
  type RegistrationRequestSpec,
  type Tenant,
  type TenantSpec,
  type User,
  type UserSpec,
} from './webshop.js';
