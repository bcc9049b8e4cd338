/**
 * What this server asks of the kube API, as its own identity
 * (cnpaas-api-server, from --kubeconfig): create a RegistrationRequest
 * (optionally as a server-side dry run), wait for one to be deleted (read
 * and watched by name, through @cnpaas/kube's awaitCondition), and ask a
 * SubjectAccessReview. `HttpKubeApi` does it with
 * @cnpaas/kube's client (one keep-alive connection pool, errors that carry
 * the apiserver's `Status` as `KubeApiError`); tests may substitute the
 * interface.
 */
import { KubeClient, ResourceClient, type ObjectWatchSource } from '@cnpaas/kube';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { REGISTRATION_REQUESTS } from './api-group.js';

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

/** What the registration flow and the authorizer need from the kube API (tests may substitute it). */
export interface KubeApi {
  createRegistrationRequest(
    object: RegistrationRequest,
    options: { dryRun: boolean; signal?: AbortSignal },
  ): Promise<RegistrationRequest>;
  /** The RegistrationRequests, to wait on one with @cnpaas/kube's awaitCondition. */
  readonly registrationRequests: ObjectWatchSource<KubernetesObject>;
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

export class HttpKubeApi implements KubeApi {
  readonly #client: KubeClient;
  readonly #requests: ResourceClient;

  get registrationRequests(): ResourceClient {
    return this.#requests;
  }

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
}
