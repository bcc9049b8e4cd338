/**
 * What this server asks of the kube API, as its own identity
 * (cnpaas-api-server, from --kubeconfig): create a RegistrationRequest
 * (optionally as a server-side dry run), read one, watch one by name from a
 * resourceVersion, and ask a SubjectAccessReview. `HttpKubeApi` does it with
 * @cnpaas/kube's client (one keep-alive connection pool, errors that carry
 * the apiserver's `Status` as `KubeApiError`); tests may substitute the
 * interface.
 */
import { isNotFound, KubeClient, ResourceClient, type WatchEvent as KubeWatchEvent } from '@cnpaas/kube';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { REGISTRATION_REQUESTS, REGISTRATION_REQUESTS_PATH } from './api-group.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface RegistrationRequestStatus {
  tenant?: string;
  namespace?: string;
  user?: string;
  email?: string;
  conditions?: Condition[];
}

export interface RegistrationRequest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status?: RegistrationRequestStatus;
}

export type WatchEventType = KubeWatchEvent<KubernetesObject>['type'];

export interface WatchEvent {
  type: WatchEventType;
  object: RegistrationRequest;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export interface SubjectAccessReviewSpec {
  user: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: {
    group: string;
    version: string;
    resource: string;
    verb: string;
    name?: string;
    namespace?: string;
  };
  nonResourceAttributes?: { path: string; verb: string };
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface WatchRegistrationOptions {
  name: string;
  /** Events strictly after this resourceVersion (the create's): nothing between create and watch is missed. */
  resourceVersion: string;
  /** Asks the apiserver to end the watch after this long (never beyond the registration's deadline). */
  timeoutSeconds: number;
  signal: AbortSignal;
}

/** What the registration flow and the authorizer need from the kube API (tests may substitute it). */
export interface KubeApi {
  createRegistrationRequest(
    object: RegistrationRequest,
    options: { dryRun: boolean; signal?: AbortSignal },
  ): Promise<RegistrationRequest>;
  /** undefined when it does not exist (404). */
  getRegistrationRequest(name: string, options: { signal?: AbortSignal }): Promise<RegistrationRequest | undefined>;
  /** Resolves when the stream ends (server timeout, abort); rejects on a failure or an ERROR event. */
  watchRegistrationRequest(options: WatchRegistrationOptions, onEvent: (event: WatchEvent) => void): Promise<void>;
  createSubjectAccessReview(
    spec: SubjectAccessReviewSpec,
    options: { signal?: AbortSignal },
  ): Promise<SubjectAccessReviewStatus>;
}

export interface HttpKubeApiOptions {
  /** Socket idle timeout of ordinary requests. Default 15 s: a registration's whole budget is 30 s by default. */
  requestTimeoutMs?: number;
}

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
/** Silence tolerated on a watch beyond its server-side timeout before we call the connection dead. */
const WATCH_IDLE_GRACE_MS = 5_000;

export class HttpKubeApi implements KubeApi {
  readonly #client: KubeClient;
  readonly #requests: ResourceClient;

  constructor(kc: KubeConfig, options: HttpKubeApiOptions = {}) {
    this.#client = new KubeClient(kc, { requestTimeoutMs: options.requestTimeoutMs ?? 15_000 });
    this.#requests = new ResourceClient(this.#client, { ...REGISTRATION_REQUESTS, namespaced: false });
  }

  async createRegistrationRequest(
    object: RegistrationRequest,
    options: { dryRun: boolean; signal?: AbortSignal },
  ): Promise<RegistrationRequest> {
    const created = await this.#requests.create(object as unknown as KubernetesObject, {
      fieldManager: 'cnpaas-api-server',
      dryRun: options.dryRun,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return created as unknown as RegistrationRequest;
  }

  async getRegistrationRequest(
    name: string,
    options: { signal?: AbortSignal },
  ): Promise<RegistrationRequest | undefined> {
    try {
      return (await this.#requests.get({ name }, options)) as unknown as RegistrationRequest;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createSubjectAccessReview(
    spec: SubjectAccessReviewSpec,
    options: { signal?: AbortSignal },
  ): Promise<SubjectAccessReviewStatus> {
    const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
    const review = await this.#client.json<{ status?: SubjectAccessReviewStatus } | undefined>({
      method: 'POST',
      path: SAR_PATH,
      body,
      signal: options.signal,
    });
    if (!review?.status || typeof review.status.allowed !== 'boolean') {
      throw new Error('the SubjectAccessReview came back without status.allowed');
    }
    return review.status;
  }

  async watchRegistrationRequest(
    options: WatchRegistrationOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    const timeoutSeconds = Math.max(1, Math.ceil(options.timeoutSeconds));
    const handle = this.#client.watch<KubernetesObject>(
      {
        path: REGISTRATION_REQUESTS_PATH,
        query: {
          resourceVersion: options.resourceVersion,
          fieldSelector: `metadata.name=${options.name}`,
          allowWatchBookmarks: 'true',
          timeoutSeconds,
        },
        signal: options.signal,
        idleTimeoutMs: options.timeoutSeconds * 1000 + WATCH_IDLE_GRACE_MS,
      },
      (event) => onEvent({ type: event.type, object: event.object as unknown as RegistrationRequest }),
    );
    await handle.done;
  }
}
