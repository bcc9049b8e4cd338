/**
 * Everything the console asks of Kubernetes, as its own identity, behind
 * one interface so the routes can be tested with fastify.inject and an
 * in-memory stand-in. The registration goes where kubectl's would: POST to
 * the aggregated registrations API through kube-apiserver, which
 * authenticates the console, proxies to cnpaas-api-server, and that one
 * asks kube-apiserver whether the console may create registrations.
 */
import { KubeClient, ResourceClient, type ListerWatcher, type ResourceRef } from '@cnpaas/kube';
import { LOGINS_PATH, REGISTRATIONS_PATH, VERIFICATIONS_PATH } from '@cnpaas/webshop-api';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { ConsoleError, errorMessage } from './errors.js';
import type { TimelineEvent } from './timeline.js';

export interface RawAnswer {
  status: number;
  body: unknown;
  retryAfter?: string | undefined;
}

/** A read made with a signed-in person's own token: what kube-apiserver said, refusals included. */
export interface UserRead {
  status: number;
  object?: KubernetesObject | undefined;
  /** kube-apiserver's own message for a refusal (a Status's message). */
  message?: string | undefined;
}

/** The kube API as the person who signed in (their ServiceAccount token), not as the console. */
export interface UserKube {
  /** Who the token is (SelfSubjectReview): `system:serviceaccount:<namespace>:<name>`, or the refusal. */
  whoAmI(): Promise<{ status: number; username?: string | undefined; message?: string | undefined }>;
  read(resource: ResourceRef, target: { namespace?: string; name: string }): Promise<UserRead>;
  close(): void;
}

export interface ConsoleKube {
  /** POST a RegistrationRequest to the registrations API; any HTTP status resolves. */
  register(body: unknown, signal?: AbortSignal): Promise<RawAnswer>;
  /** POST a Verification (the token from a mailed link) to the verifications API; any status resolves. */
  verify(body: unknown): Promise<RawAnswer>;
  /** POST a Login to the logins API; any status resolves. The answer holds the person's token. */
  login(body: unknown): Promise<RawAnswer>;
  /** A client that sends `token` as its bearer token to the same kube-apiserver. */
  asUser(token: string): UserKube;
  /** One object, or undefined when it does not exist. */
  get(resource: ResourceRef, target: { namespace?: string; name: string }): Promise<KubernetesObject | undefined>;
  /** Every object of a kind, in one namespace or all. */
  list(resource: ResourceRef, namespace?: string): Promise<KubernetesObject[]>;
  listerWatcher(resource: ResourceRef): ListerWatcher<KubernetesObject>;
  /** The Events about one object (core/v1, which also serves what events.k8s.io/v1 recorders write). */
  events(regarding: EventSubject): Promise<TimelineEvent[]>;
  close(): void;
}

/** An object Events are about. Events about a cluster-scoped object live in `default`, as recorders write them. */
export interface EventSubject {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export const CORE_EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };

/** Longer than cnpaas-api-server's own 30 s registration timeout, so its 504 Status reaches the form. */
const REGISTER_TIMEOUT_MS = 45_000;

export class HttpConsoleKube implements ConsoleKube {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async register(body: unknown, signal?: AbortSignal): Promise<RawAnswer> {
    return this.#post(REGISTRATIONS_PATH, body, {
      what: 'sending the registration',
      timeoutMs: REGISTER_TIMEOUT_MS,
      signal,
    });
  }

  async verify(body: unknown): Promise<RawAnswer> {
    return this.#post(VERIFICATIONS_PATH, body, { what: 'sending the verification', timeoutMs: 15_000 });
  }

  async login(body: unknown): Promise<RawAnswer> {
    return this.#post(LOGINS_PATH, body, { what: 'signing in', timeoutMs: 15_000 });
  }

  asUser(token: string): UserKube {
    return new HttpUserKube(userClient(this.#client.kubeConfig, token));
  }

  async #post(
    path: string,
    body: unknown,
    options: { what: string; timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<RawAnswer> {
    const res = await this.#client
      .raw('POST', path, {
        body,
        timeoutMs: options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      .catch((err: unknown) => {
        throw unavailable(err, options.what);
      });
    const text = res.body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): the refusal mapping reports the HTTP status instead.
    }
    const retry: unknown = res.headers['retry-after'];
    return { status: res.status, body: parsed, retryAfter: typeof retry === 'string' ? retry : undefined };
  }

  async get(
    resource: ResourceRef,
    target: { namespace?: string; name: string },
  ): Promise<KubernetesObject | undefined> {
    const client = new ResourceClient(this.#client, resource);
    try {
      return await client.get(target);
    } catch (err) {
      if (httpCode(err) === 404) return undefined;
      throw failed(err, `reading ${resource.plural} ${target.name}`);
    }
  }

  async list(resource: ResourceRef, namespace?: string): Promise<KubernetesObject[]> {
    const client = new ResourceClient(this.#client, resource, namespace ? { namespace } : {});
    try {
      return (await client.list()).items;
    } catch (err) {
      throw failed(err, `listing ${resource.plural}`);
    }
  }

  listerWatcher(resource: ResourceRef): ListerWatcher<KubernetesObject> {
    return new ResourceClient(this.#client, resource);
  }

  async events(regarding: EventSubject): Promise<TimelineEvent[]> {
    const client = new ResourceClient(this.#client, CORE_EVENTS, {
      namespace: regarding.namespace ?? 'default',
      // Both names come from checked object names (names.ts) or the API's own objects: no selector syntax in them.
      fieldSelector: `involvedObject.kind=${regarding.kind},involvedObject.name=${regarding.name}`,
    });
    try {
      return (await client.list()).items;
    } catch (err) {
      throw failed(err, `listing the events of ${regarding.kind} ${regarding.name}`);
    }
  }

  close(): void {
    this.#client.close();
  }
}

/**
 * A client for the same kube-apiserver (its address and CA from the console's kubeconfig) that
 * authenticates with `token` only: none of the console's own credentials go with it.
 */
function userClient(kc: KubeConfig, token: string): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new ConsoleError('CNPAAS_CONSOLE_KUBE_UNAVAILABLE', 'the console kubeconfig names no cluster', {
      httpStatus: 503,
      hint: "pass --kubeconfig with the console's own identity",
    });
  const user = new KubeConfig();
  user.loadFromOptions({
    clusters: [{ ...cluster, name: 'cluster' }],
    users: [{ name: 'person', token }],
    contexts: [{ name: 'person', cluster: 'cluster', user: 'person' }],
    currentContext: 'person',
  });
  return new KubeClient(user, { requestTimeoutMs: 15_000 });
}

function messageOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** Every read is a plain HTTP exchange: a 403 is an answer to show, not an error. */
class HttpUserKube implements UserKube {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async whoAmI(): Promise<{ status: number; username?: string | undefined; message?: string | undefined }> {
    const res = await this.#client
      .raw('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      })
      .catch((err: unknown) => {
        throw unavailable(err, 'asking who the signed-in token is');
      });
    if (res.status !== 201 && res.status !== 200) return { status: res.status, message: messageOf(res.body) };
    const review = JSON.parse(res.body.toString('utf8')) as { status?: { userInfo?: { username?: string } } };
    return { status: res.status, username: review.status?.userInfo?.username };
  }

  async read(resource: ResourceRef, target: { namespace?: string; name: string }): Promise<UserRead> {
    const group = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
    const ns = resource.namespaced && target.namespace ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
    const path = `${group}${ns}/${resource.plural}/${encodeURIComponent(target.name)}`;
    const res = await this.#client.raw('GET', path).catch((err: unknown) => {
      throw unavailable(err, `reading ${resource.plural} ${target.name}`);
    });
    if (res.status !== 200) return { status: res.status, message: messageOf(res.body) };
    return { status: 200, object: JSON.parse(res.body.toString('utf8')) as KubernetesObject };
  }

  close(): void {
    this.#client.close();
  }
}

function httpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** 401/403 are our own identity's permissions; anything else is the API being unavailable. */
export function failed(err: unknown, doing: string): ConsoleError {
  const code = httpCode(err);
  if (code === 401 || code === 403) {
    return new ConsoleError('CNPAAS_CONSOLE_OWN_PERMISSION', `the console may not do this (${doing}): HTTP ${code}`, {
      httpStatus: 502,
      hint: 'apply packages/console/manifests/rbac.yaml and bind it to the console identity',
      cause: err,
    });
  }
  return unavailable(err, doing);
}

function unavailable(err: unknown, doing: string): ConsoleError {
  return new ConsoleError(
    'CNPAAS_CONSOLE_KUBE_UNAVAILABLE',
    `the kube API failed while ${doing}: ${errorMessage(err)}`,
    {
      httpStatus: 503,
      hint: 'retry in a moment; check that kube-apiserver is up (cnpaas status)',
      cause: err,
    },
  );
}
