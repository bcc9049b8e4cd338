/**
 * @cnpaas/operator: a small controller runtime on @kubernetes/client-node
 * (informers, work queue, reconcile loop, leader election, finalizers,
 * conditions, events, metrics). See README.md for the contract.
 */
export {
  OperatorError,
  TerminalError,
  httpStatusOf,
  isNotFound,
  isConflict,
  isGone,
  errorMessage,
  type OperatorErrorCode,
} from './errors.js';

export { realClock, FakeClock, sleep, type Clock, type TimerHandle } from './runtime/clock.js';
export { objectKey, keyOf, splitKey, type ObjectKey, type NamespacedName } from './runtime/keys.js';
export { apiVersionOf, groupOf, resourcePath, resourceId, type ResourceRef } from './runtime/resource.js';
export { createLogger, defaultLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './runtime/logger.js';

export {
  ItemExponentialBackoff,
  TokenBucket,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
  type ExponentialBackoffOptions,
  type TokenBucketOptions,
  type ControllerRateLimiterOptions,
} from './runtime/rate-limiter.js';
export { WorkQueue, type WorkQueueOptions, type ProcessFn } from './runtime/work-queue.js';

export type {
  ListerWatcher,
  ListOptions,
  WatchOptions,
  WatchEvent,
  WatchEventType,
  WatchHandle,
} from './runtime/list-watch.js';
export {
  ResourceClient,
  type ResourceClientOptions,
  type WriteOptions,
  type JsonPatchOp,
} from './runtime/resource-client.js';
export { Store } from './runtime/store.js';
export { Informer, type InformerOptions, type EventHandler, type BackoffOptions } from './runtime/informer.js';

export {
  Controller,
  ownerKeys,
  type ControllerOptions,
  type Reconciler,
  type ReconcileContext,
  type ReconcileResult,
  type KeyMapper,
  type InformerProvider,
  type OwnsOptions,
} from './runtime/controller.js';

export {
  finalizer,
  hasFinalizer,
  addFinalizerPatch,
  removeFinalizerPatch,
  type FinalizerOptions,
  type FinalizerPatcher,
} from './runtime/finalizers.js';
export {
  controllerRef,
  controllerOf,
  isControlledBy,
  withControllerRef,
  type ControllerRefOptions,
} from './runtime/owner-references.js';
export {
  setCondition,
  getCondition,
  isConditionTrue,
  removeCondition,
  type Condition,
  type ConditionInput,
  type ConditionStatus,
  type ConditionsUpdate,
  type SetConditionOptions,
} from './runtime/conditions.js';
export { rfc3339, microTime } from './runtime/timestamps.js';
export {
  EventRecorder,
  kubeEventSink,
  objectReference,
  EVENTS_RESOURCE,
  type EventSink,
  type EventBody,
  type EventInput,
  type EventRecorderOptions,
} from './runtime/events.js';

export {
  LeaderElector,
  type LeaderElectorOptions,
  type LeaderElectionRecord,
  type LeaseLock,
  type VersionedRecord,
  type LeaderElectionOutcome,
} from './runtime/leader-election.js';
export {
  kubeLeaseLock,
  toLeaseSpec,
  fromLeaseSpec,
  LEASES_RESOURCE,
  type LeaseLockTarget,
} from './runtime/lease-lock.js';
export { RuntimeMetrics, type ReconcileResultLabel } from './runtime/metrics.js';
export {
  Manager,
  type ManagerOptions,
  type ManagerState,
  type LeaderElectionConfig,
  type InformerScope,
} from './runtime/manager.js';

// The webshop operator built on the runtime (src/webshop/), its manifests and its component descriptor.
export {
  addWebshopControllers,
  type WebshopControllersOptions,
  type WebshopControllers,
} from './webshop/controllers.js';
export { kubeWebshopApi, kubeObjectApi, type WebshopApi, type ObjectApi } from './webshop/kube-api.js';
export { renderTemplate, type RenderOptions } from './webshop/template.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  HASH_PREFIX,
  KEY_BYTES,
  SALT_BYTES,
  SCRYPT_LIMITS,
  classifyPasswordValue,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
  scryptMemoryBytes,
  scryptParamsInRange,
  type ParsedHash,
  type PasswordValueKind,
  type ScryptParams,
} from './webshop/password-hash.js';
export {
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
  SYSTEM_NAMESPACE,
  DEFAULT_TEMPLATE,
  LEADER_LEASE,
  OPERATOR_NAME,
  REGISTRATION_UID_LABEL,
  USER_UID_LABEL,
  TENANT_LABEL,
  PASSWORD_ANNOTATION,
  TENANT_FINALIZER,
  USER_FINALIZER,
  registrationNames,
  welcomeEmailName,
  passwordSecretName,
  userClusterRbacName,
  claimNameFor,
  type RegistrationNames,
} from './webshop/names.js';
export * as webshopResources from './webshop/resources.js';
export type * from './webshop/types.js';
export { MANIFEST_FILES, manifestPath, crdManifests, allManifests } from './manifests.js';
export {
  operatorComponent,
  OPERATOR_CLIENT_NAME,
  type OperatorComponentOptions,
  type ComponentDescriptor,
  type CertificateNeed,
} from './component.js';
