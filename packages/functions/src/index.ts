/**
 * @cnpaas/functions: the email function (exactly-once SMTP delivery of
 * Email objects), the demo's SMTP sink, and the watch trigger (HTTPTrigger
 * controller). See README.md.
 */
export { FunctionsError, errorMessage, type FunctionsErrorCode } from './errors.js';
export { createLogger, maskAddress, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export {
  EMAILS_RESOURCE,
  EMAIL_ADDRESS_PATTERN,
  EMAIL_STATUS_SCHEMA,
  MAX_BODY_BYTES,
  SENT_CONDITION,
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
  checkEmailObject,
  type EmailMetadata,
  type EmailObject,
  type EmailSpec,
  type EmailStatus,
  type SentReason,
} from './email-resource.js';
export { MailStore, listMail, readMail, type StoredMail } from './mail/mail-store.js';
export {
  SmtpSink,
  DEFAULT_MAX_MESSAGE_BYTES,
  type SinkFaults,
  type SmtpFault,
  type SmtpSinkOptions,
} from './mail/smtp-sink.js';
export {
  parseSmtpConfig,
  SMTP_USAGE,
  DEFAULT_SMTP_LISTEN,
  DEFAULT_SMTP_USER,
  type SmtpSinkConfig,
} from './mail/smtp-config.js';
export { MESSAGE_ID_DOMAIN, buildMessage, isHtmlEmail, messageIdFor } from './email/message.js';
export { classifySmtpError, type FailureKind } from './email/classify.js';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './email/backoff.js';
export {
  loadSmtpSettings,
  describeSmtpSettings,
  transportOptions,
  type SmtpSettings,
  type TlsPolicy,
} from './email/smtp-settings.js';
export {
  EmailSender,
  SendError,
  DEFAULT_SEND_DEADLINE_MS,
  type EmailSenderOptions,
  type SendResult,
} from './email/sender.js';
// The whole module is the store contract (its records, the interface and the patches): all of it is public.
export * from './claim/email-status-store.js';
export {
  EmailDelivery,
  DEFAULT_CLAIM_LEASE_MS,
  type DeliveryOutcome,
  type EmailDeliveryOptions,
} from './claim/exactly-once.js';
export {
  MemoryEmailStatusStore,
  SimulatedCrash,
  type CrashPoint,
  type MemoryConnection,
} from './claim/memory-status-store.js';
export { KubeEmailStatusStore, FIELD_MANAGER } from './claim/kube-status-store.js';
export { parseEmailEvent, type EmailEvent } from './function/event.js';
export {
  EmailFunctionServer,
  DEFAULT_BODY_LIMIT,
  httpStatusOf,
  type EmailFunctionServerOptions,
  type TlsMaterial,
} from './function/server.js';
export { FunctionMetrics } from './function/metrics.js';
export {
  parseFunctionConfig,
  FUNCTION_USAGE,
  DEFAULT_FUNCTION_LISTEN,
  TRIGGER_CLIENT_NAME,
  type FunctionConfig,
} from './function/config.js';
export {
  FUNCTION_CLIENT_NAME,
  TRIGGER_MANIFESTS,
  emailFunctionComponent,
  emailTriggerVars,
  smtpComponent,
  triggerComponent,
  triggerIdentity,
  manifestPath,
  type FunctionComponentOptions,
  type SmtpComponentOptions,
  type TriggerComponentOptions,
} from './component.js';

// The watch trigger (src/trigger/).
export {
  HTTPTRIGGERS_RESOURCE,
  PLATFORM_GROUP,
  PLATFORM_VERSION,
  SYSTEM_NAMESPACE,
  TRIGGER_LEASE,
  TRIGGER_NAME,
  TRIGGER_CLASS_LABEL,
  TRIGGER_CLASS_PATTERN,
  triggerLease,
  triggerSelector,
  EVENT_TYPES,
  type EventType,
  type HTTPTrigger,
  type HTTPTriggerSpec,
  type HTTPTriggerStatus,
} from './trigger/types.js';
export { compileTemplate, MAX_RENDERED_BYTES, type CompiledTemplate } from './trigger/template.js';
export {
  planTrigger,
  DEFAULT_DELIVERY,
  type TriggerPlan,
  type DeliverySettings,
  type PlanOptions,
  type PlanResult,
} from './trigger/spec.js';
export { ProgressTracker } from './trigger/progress.js';
export { DeliveryQueue, type AttemptResult, type Finish, type DeliveryQueueOptions } from './trigger/delivery-queue.js';
export {
  HttpDeliverer,
  classifyStatus,
  parseRetryAfter,
  type DeliveryTls,
  type HttpRequest,
  type HttpDelivererOptions,
} from './trigger/http-delivery.js';
export {
  targetPolicy,
  refusedTarget,
  hostPortOf,
  type TargetPolicy,
  type TargetPolicyOptions,
} from './trigger/target-policy.js';
export { loadDeliveryTls, type SecretReader } from './trigger/delivery-tls.js';
export { WatchSource, type SourceEvent, type SourceSink, type WatchSourceOptions } from './trigger/event-source.js';
export {
  TriggerStatusWriter,
  resumePoints,
  type StatusPatcher,
  type StatusWriterOptions,
  type StreamId,
} from './trigger/status-writer.js';
export {
  TriggerRunner,
  type TriggerRunnerOptions,
  type ListerWatcherFactory,
  type ListScope,
  type EventPublisher,
  type Sender,
} from './trigger/runner.js';
export { addTriggerController, TriggerSet, type TriggerControllerOptions } from './trigger/controller.js';
export { TriggerMetrics } from './trigger/metrics.js';
export { kubeListerWatcherFactory, kubeStatusPatcher, kubeSecretReader } from './trigger/kube.js';
export {
  parseTriggerConfig,
  TRIGGER_USAGE,
  DEFAULT_TRIGGER_LISTEN_HEALTH,
  type TriggerConfig,
} from './trigger/config.js';
