/**
 * The one HTTP client for kube-apiserver: raw JSON requests, newline-framed
 * watch streams, and errors that carry the apiserver's `Status`. It runs on
 * the kubeconfig's connection settings through the shared keep-alive agent
 * of `transport.ts`, so every client made from the same kubeconfig reuses
 * its connections.
 *
 * Three ways to call:
 * - `json(spec)`: a 2xx answer's parsed body, or a `KubeApiError` (HTTP
 *   status, the `Status` body's reason, code and message);
 * - `request(method, path)` / `raw(...)`: any status, for callers that check
 *   it themselves (tests asserting a 403, /metrics, /healthz);
 * - `watch(spec, onEvent)`: a watch stream; an `ERROR` event ends it with a
 *   `KubeApiError` (410 Gone: relist).
 *
 * Why not client-node's generated APIs or `Watch`: see README.md, "Where it
 * bypasses @kubernetes/client-node".
 */
import http from 'node:http';
import { ApiException, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from './clock.js';
import { KubeError } from './errors.js';
import type { WatchEvent, WatchHandle } from './list-watch.js';
import { closeIdleConnections, readBody, send } from './transport.js';

/** `metav1.Status`, the apiserver's error body. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  /** e.g. NotFound, AlreadyExists, Conflict, Expired, Forbidden, Invalid. */
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
    retryAfterSeconds?: number;
  };
  code?: number;
}

export function isStatus(value: unknown): value is KubeStatus {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/**
 * A kube API call the apiserver answered with an error (or a watch ERROR
 * event). An `ApiException` (`code` is the HTTP status, `body` the raw
 * body), so `httpStatusOf`, `isNotFound` and `isConflict` read it like the
 * generated APIs' errors; `status` is the parsed `Status` when there was one.
 * A request that got no answer (refused, reset, idle timeout) rejects with
 * the network error instead: `httpStatusOf` is then undefined.
 */
export class KubeApiError extends ApiException<string> {
  override readonly name = 'KubeApiError';
  readonly status: KubeStatus | undefined;

  constructor(options: {
    code: number;
    message: string;
    body: string;
    status?: KubeStatus | undefined;
    headers?: Record<string, string>;
  }) {
    super(options.code, options.message, options.body, options.headers ?? {});
    // ApiException's message repeats the body and every header; logs and the callers' own errors want one line.
    this.message = options.message;
    this.status = options.status;
  }

  /** The Status reason (`NotFound`, `AlreadyExists`, `Expired`…), when the apiserver sent one. */
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

export interface KubeClientOptions {
  /** Socket idle timeout of requests that name none. Default 60 s. */
  requestTimeoutMs?: number;
  /** When the credential files are checked for a rotation; tests pass a FakeClock. */
  clock?: Clock;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** Default application/json. */
  contentType?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Socket idle timeout of this request; default the client's. */
  timeoutMs?: number | undefined;
}

export interface WatchRequest {
  path: string;
  /** watch=true is added. */
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal | undefined;
  /** Silence tolerated before the connection counts as dead: the server-side timeout plus a grace period. */
  idleTimeoutMs: number;
}

export interface AnyStatusOptions {
  /** An object is sent as JSON (a merge patch for PATCH); a string as it is. */
  body?: unknown;
  /** Default application/merge-patch+json for PATCH, else application/json. */
  contentType?: string;
  /** Default the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface KubeResponse {
  status: number;
  /** Parsed JSON; the text itself when the body is not JSON (/metrics, /healthz). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers (tests, benchmarks) read fields ad hoc and assert on them
  body: any;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface ClientIdentity {
  /** https://host:port of kube-apiserver. */
  server: string;
  /** The CA that signed the apiserver's serving certificate (PEM file). */
  caFile: string;
  /** A client certificate and key (PEM files)… */
  client?: { certFile: string; keyFile: string };
  /** …or a bearer token. */
  token?: string;
}

/** A kubeconfig for one identity given by files (a certificate and key, or a token). */
export function kubeConfigFor(identity: ClientIdentity): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'cluster', server: identity.server, caFile: identity.caFile, skipTLSVerify: false }],
    users: [
      {
        name: 'user',
        ...(identity.client ? { certFile: identity.client.certFile, keyFile: identity.client.keyFile } : {}),
        ...(identity.token ? { token: identity.token } : {}),
      },
    ],
    contexts: [{ name: 'context', cluster: 'cluster', user: 'user' }],
    currentContext: 'context',
  });
  return kc;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly #timeoutMs: number;
  readonly #clock: Clock | undefined;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    this.kubeConfig = kc;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#clock = options.clock;
  }

  /** A client for one identity given by files. */
  static fromFiles(identity: ClientIdentity, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(kubeConfigFor(identity), options);
  }

  /** A 2xx answer's parsed JSON (undefined for an empty body); otherwise rejects with `KubeApiError`. */
  async json<T = unknown>(spec: KubeRequest): Promise<T> {
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const res = await this.#send({
      method: spec.method,
      path: spec.path,
      query: spec.query,
      body: payload,
      contentType: spec.contentType ?? 'application/json',
      signal: spec.signal,
      timeoutMs: spec.timeoutMs,
    });
    const text = (await readBody(res)).toString('utf8');
    const code = res.statusCode ?? 0;
    const what = `${spec.method} ${spec.path}`;
    if (code < 200 || code >= 300) throw errorFromResponse({ code, body: text, what, headers: res.headers });
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `${what} answered ${code} with a body that is not JSON`);
    }
  }

  /** Any HTTP status resolves; rejects only on network errors and timeouts. */
  async request(method: string, path: string, options: AnyStatusOptions = {}): Promise<KubeResponse> {
    const res = await this.raw(method, path, options);
    const text = res.body.toString('utf8');
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, body: text };
    }
  }

  /** The body as bytes: a benchmark times a LIST to its last byte without a JSON.parse. */
  async raw(method: string, path: string, options: AnyStatusOptions = {}): Promise<RawResponse> {
    const { body } = options;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await this.#send({
      method,
      path,
      body: payload,
      contentType: options.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) };
  }

  /**
   * Opens a watch. `done` resolves when the stream ends normally (the
   * server's timeout, or `abort()` / the signal), rejects on a failure, an
   * `ERROR` event (`KubeApiError`, 410 for an expired resourceVersion) or an
   * exception thrown by `onEvent`.
   */
  watch<T extends KubernetesObject>(spec: WatchRequest, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const controller = new AbortController();
    const external = spec.signal;
    const onExternalAbort = (): void => controller.abort();
    if (external?.aborted) controller.abort();
    else external?.addEventListener('abort', onExternalAbort, { once: true });
    const { path } = spec;
    const what = `watch ${path}`;
    const opened = this.#send({
      method: 'GET',
      path,
      query: { ...spec.query, watch: 'true' },
      signal: controller.signal,
      timeoutMs: spec.idleTimeoutMs,
    }).then(async (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 300) return res;
      const text = (await readBody(res)).toString('utf8');
      throw errorFromResponse({ code, body: text, what, headers: res.headers });
    });
    const done = opened
      .then(
        (res) =>
          new Promise<void>((resolve, reject) => {
            let buffered = '';
            let settled = false;
            const fail = (err: unknown): void => {
              if (settled) return;
              settled = true;
              res.destroy();
              reject(err instanceof Error ? err : new Error(String(err)));
            };
            const finish = (): void => {
              if (settled) return;
              settled = true;
              resolve();
            };
            const onLine = (line: string): void => {
              if (line.trim() === '') return;
              let event: { type?: unknown; object?: unknown };
              try {
                event = JSON.parse(line) as typeof event;
              } catch {
                return fail(new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `${what} sent a line that is not JSON`));
              }
              if (event.type === 'ERROR') return fail(watchError(event.object, what));
              if (
                event.type !== 'ADDED' &&
                event.type !== 'MODIFIED' &&
                event.type !== 'DELETED' &&
                event.type !== 'BOOKMARK'
              ) {
                return fail(new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `${what} sent event type ${String(event.type)}`));
              }
              try {
                onEvent({ type: event.type, object: event.object as T });
              } catch (err) {
                fail(err); // the caller's handler threw: the watch ends with that failure
              }
            };
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffered += chunk;
              let nl: number;
              while (!settled && (nl = buffered.indexOf('\n')) >= 0) {
                const line = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                onLine(line);
              }
            });
            res.on('end', () => {
              if (!settled && buffered) onLine(buffered);
              finish();
            });
            res.on('error', (err) => (controller.signal.aborted ? finish() : fail(err)));
            res.on('close', () => {
              // An aborted or idle-timed-out stream closes without 'end'.
              if (controller.signal.aborted || res.complete) finish();
              else fail(new Error(`${what}: connection closed mid-stream`));
            });
          }),
        (err: unknown) => {
          if (controller.signal.aborted) return;
          throw err;
        },
      )
      .finally(() => external?.removeEventListener('abort', onExternalAbort));
    return { done, abort: () => controller.abort() };
  }

  /** Closes this identity's idle connections (shared with every client of the same kubeconfig identity). */
  close(): void {
    closeIdleConnections(this.kubeConfig);
  }

  #send(spec: {
    method: string;
    path: string;
    query?: KubeRequest['query'];
    body?: string | undefined;
    contentType?: string;
    signal: AbortSignal | undefined;
    timeoutMs: number | undefined;
  }): Promise<http.IncomingMessage> {
    return send(this.kubeConfig, {
      method: spec.method,
      path: spec.path,
      query: spec.query,
      body: spec.body,
      headers: spec.body !== undefined && spec.contentType ? { 'Content-Type': spec.contentType } : undefined,
      signal: spec.signal,
      idleTimeoutMs: spec.timeoutMs ?? this.#timeoutMs,
      clock: this.#clock,
    });
  }
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return flat;
}

/** A non-2xx answer as a `KubeApiError`, with the Status message in the error message. */
function errorFromResponse(options: {
  code: number;
  body: string;
  what: string;
  headers: http.IncomingHttpHeaders;
}): KubeApiError {
  const { code, body, what } = options;
  let status: KubeStatus | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isStatus(parsed)) status = parsed;
  } catch {
    // Not a Status body (a proxy's HTML page, say): keep the HTTP reason phrase.
  }
  return new KubeApiError({
    code,
    message: `${what}: HTTP ${code}: ${status?.message ?? http.STATUS_CODES[code] ?? 'error'}`,
    body,
    status,
    headers: flatHeaders(options.headers),
  });
}

/** A watch ERROR event's Status as a `KubeApiError` (code 410 means: relist). */
function watchError(object: unknown, what: string): KubeApiError {
  const status = isStatus(object) ? object : undefined;
  return new KubeApiError({
    code: status?.code ?? 500,
    message: `${what}: ${status?.message ?? 'watch error'}`,
    body: JSON.stringify(object ?? null),
    status,
  });
}
