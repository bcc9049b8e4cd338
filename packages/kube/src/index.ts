/**
 * @cnpaas/kube: a small, generic controller runtime on @kubernetes/client-node
 * (resource client, informers, work queue, reconcile loop, leader election,
 * finalizers, conditions, events, metrics). See README.md for the contract;
 * in-memory stand-ins for tests are in `@cnpaas/kube/testing`.
 */
export {
  KubeError,
  TerminalError,
  httpStatusOf,
  isNotFound,
  isConflict,
  isGone,
  errorMessage,
  type KubeErrorCode,
} from './errors.js';

export { realClock, FakeClock, sleep, type Clock, type TimerHandle } from './clock.js';
export { objectKey, keyOf, splitKey, type ObjectKey, type NamespacedName } from './keys.js';
export { apiVersionOf, groupOf, resourcePath, resourceId, type ResourceRef } from './resource.js';
export { createLogger, defaultLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';

export {
  ItemExponentialBackoff,
  TokenBucket,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
  type ExponentialBackoffOptions,
  type TokenBucketOptions,
  type ControllerRateLimiterOptions,
} from './rate-limiter.js';
export { WorkQueue, type WorkQueueOptions, type ProcessFn } from './work-queue.js';

export type {
  ListerWatcher,
  ListOptions,
  WatchOptions,
  WatchEvent,
  WatchEventType,
  WatchHandle,
} from './list-watch.js';
export {
  KubeClient,
  KubeApiError,
  kubeConfigFor,
  isStatus,
  type KubeStatus,
  type KubeClientOptions,
  type KubeRequest,
  type WatchRequest,
  type AnyStatusOptions,
  type KubeResponse,
  type RawResponse,
  type ClientIdentity,
} from './kube-client.js';
export { whoAmI, type UserInfo } from './who-am-i.js';
export { agentFor, closeIdleConnections, CREDENTIAL_CHECK_INTERVAL_MS } from './transport.js';
export { ResourceClient, type ResourceClientOptions, type WriteOptions, type JsonPatchOp } from './resource-client.js';
export { Store } from './store.js';
export { backoff, type Backoff, type BackoffSpec } from './backoff.js';
export {
  watcher,
  runWatcher,
  DEFAULT_WATCH_BACKOFF,
  MIN_HEALTHY_WATCH_MS,
  type WatcherEvent,
  type WatcherOptions,
  type RunWatcherOptions,
} from './watcher.js';
export {
  awaitCondition,
  isDeleted,
  type AwaitConditionOptions,
  type ObjectCondition,
  type ObjectWatchSource,
} from './await-condition.js';
export { JustCreated, type JustCreatedOptions } from './just-created.js';
export { Informer, type InformerOptions, type EventHandler, type BackoffOptions } from './informer.js';

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
} from './controller.js';

export {
  finalizer,
  hasFinalizer,
  addFinalizerPatch,
  removeFinalizerPatch,
  type FinalizerOptions,
  type FinalizerPatcher,
} from './finalizers.js';
export {
  controllerRef,
  controllerOf,
  isControlledBy,
  withControllerRef,
  type ControllerRefOptions,
} from './owner-references.js';
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
} from './conditions.js';
export { rfc3339, microTime } from './timestamps.js';
export {
  EventRecorder,
  kubeEventSink,
  objectReference,
  EVENTS_RESOURCE,
  type EventSink,
  type EventBody,
  type EventInput,
  type EventRecorderOptions,
} from './events.js';

export {
  LeaderElector,
  type LeaderElectorOptions,
  type LeaderElectionRecord,
  type LeaseLock,
  type VersionedRecord,
  type LeaderElectionOutcome,
} from './leader-election.js';
export { kubeLeaseLock, toLeaseSpec, fromLeaseSpec, LEASES_RESOURCE, type LeaseLockTarget } from './lease-lock.js';
export { RuntimeMetrics, type ReconcileResultLabel } from './metrics.js';
export {
  Manager,
  type ManagerOptions,
  type ManagerState,
  type LeaderElectionConfig,
  type InformerScope,
} from './manager.js';
