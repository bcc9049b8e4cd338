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
import { isConflict, isNotFound, KubeClient, ResourceClient, type ObjectWatchSource } from '@cnpaas/kube';
import {
  USER_RESOURCE,
  type RegistrationRequest as ContractRegistrationRequest,
  type RegistrationRequestStatus,
  type User,
} from '@cnpaas/webshop-api';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { REGISTRATION_REQUESTS } from './api-group.js';
import type { ObjectMeta, ProxiedUser } from '@cnpaas/service-kit';

/**
 * A RegistrationRequest as this server handles it: the contract's object (its
 * status as the operator writes it) with metadata always present (as JSON,
 * not client-node's parsed form), and the
 * spec as the client sent it. The CRD's schema and the admission webhooks
 * judge the spec; this server passes it on untouched.
 */
export type RegistrationRequest = Omit<ContractRegistrationRequest, 'metadata' | 'spec'> & {
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
};

/** One of a RegistrationRequest's status conditions (metav1.Condition, as the contract declares it). */
export type RegistrationCondition = NonNullable<RegistrationRequestStatus['conditions']>[number];

/** The caller kube-apiserver vouched for (@cnpaas/service-kit's front-proxy authentication). */
export type UserInfo = ProxiedUser;

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

/** A webshop User as verification and sign-in read it: the contract's User, always with its identity. */
export type WebshopUser = User & {
  metadata: ObjectMeta & { name: string; namespace: string; uid: string; resourceVersion: string };
};

export interface ObjectKey {
  namespace: string;
  name: string;
}

/** A bound ServiceAccount token from the TokenRequest API. */
export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

/** What the registration flow and the authorizer need from the kube API (tests may substitute it). */
export interface KubeApi {
  /** One User (per-User Role `<user>-api-server`); undefined when it does not exist. */
  getUser(key: ObjectKey): Promise<WebshopUser | undefined>;
  /** Every User with this (normalised) address, across namespaces (a field selector on spec.email). */
  findUsersByEmail(email: string): Promise<WebshopUser[]>;
  /**
   * Merge-patches status.verifiedAt, only if the User is still at `resourceVersion`: 'conflict' when someone
   * wrote it meanwhile (the caller reads again), 'gone' when it was deleted.
   */
  recordVerification(
    key: ObjectKey,
    options: { resourceVersion: string; verifiedAt: string },
  ): Promise<WebshopUser | 'conflict' | 'gone'>;
  /** One key of a Secret, decoded; undefined when the Secret or the key does not exist. */
  readSecretKey(key: ObjectKey & { field: string }): Promise<Buffer | undefined>;
  /** A token for a ServiceAccount (TokenRequest), valid for `expirationSeconds`. */
  createServiceAccountToken(key: ObjectKey, options: { expirationSeconds: number }): Promise<IssuedToken>;
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

  async getUser(key: ObjectKey): Promise<WebshopUser | undefined> {
    try {
      return await this.#client.json<WebshopUser>({ method: 'GET', path: userPath(key) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async findUsersByEmail(email: string): Promise<WebshopUser[]> {
    const list = await this.#client.json<{ items?: WebshopUser[] }>({
      method: 'GET',
      path: `/apis/${USER_RESOURCE.apiVersion}/${USER_RESOURCE.plural}`,
      query: { fieldSelector: `spec.email=${escapeFieldSelectorValue(email)}` },
    });
    return list.items ?? [];
  }

  async recordVerification(
    key: ObjectKey,
    options: { resourceVersion: string; verifiedAt: string },
  ): Promise<WebshopUser | 'conflict' | 'gone'> {
    try {
      return await this.#client.json<WebshopUser>({
        method: 'PATCH',
        path: `${userPath(key)}/status`,
        contentType: 'application/merge-patch+json',
        // The resourceVersion makes the patch conditional: two uses of one link cannot both win.
        body: { metadata: { resourceVersion: options.resourceVersion }, status: { verifiedAt: options.verifiedAt } },
        query: { fieldManager: 'cnpaas-api-server' },
      });
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      if (isNotFound(err)) return 'gone';
      throw err;
    }
  }

  async readSecretKey(key: ObjectKey & { field: string }): Promise<Buffer | undefined> {
    try {
      const secret = await this.#client.json<{ data?: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/secrets/${encodeURIComponent(key.name)}`,
      });
      const value = secret.data?.[key.field];
      return value === undefined ? undefined : Buffer.from(value, 'base64');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createServiceAccountToken(key: ObjectKey, options: { expirationSeconds: number }): Promise<IssuedToken> {
    const review = await this.#client.json<{ status?: Partial<IssuedToken> }>({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/serviceaccounts/${encodeURIComponent(key.name)}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: options.expirationSeconds },
      },
    });
    const { token, expirationTimestamp } = review.status ?? {};
    if (!token || !expirationTimestamp) throw new Error('the TokenRequest came back without a token');
    return { token, expirationTimestamp };
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

function userPath(key: ObjectKey): string {
  return `/apis/${USER_RESOURCE.apiVersion}/namespaces/${encodeURIComponent(key.namespace)}/${USER_RESOURCE.plural}/${encodeURIComponent(key.name)}`;
}

/** As k8s.io/apimachinery's fields.EscapeValue: `\`, `,` and `=` escaped, so a value cannot add terms to a selector. */
export function escapeFieldSelectorValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}
