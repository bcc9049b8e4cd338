/**
 * Everything the console asks of Kubernetes, as its own identity, behind
 * one interface so the routes can be tested with fastify.inject and an
 * in-memory stand-in. The registration goes where kubectl's would: POST to
 * the aggregated registrations API through kube-apiserver, which
 * authenticates the console, proxies to cnpaas-api-server, and that one
 * asks kube-apiserver whether the console may create registrations.
 */
import { ResourceClient, type KubeClient, type ListerWatcher, type ResourceRef } from '@cnpaas/kube';
import { REGISTRATIONS_PATH } from '@cnpaas/webshop-api';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ConsoleError, errorMessage } from './errors.js';
import type { TimelineEvent } from './timeline.js';

export interface RawAnswer {
  status: number;
  body: unknown;
  retryAfter?: string | undefined;
}

export interface ConsoleKube {
  /** POST a RegistrationRequest to the registrations API; any HTTP status resolves. */
  register(body: unknown, signal?: AbortSignal): Promise<RawAnswer>;
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
    const res = await this.#client
      .raw('POST', REGISTRATIONS_PATH, {
        body,
        timeoutMs: REGISTER_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      })
      .catch((err: unknown) => {
        throw unavailable(err, 'sending the registration');
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
