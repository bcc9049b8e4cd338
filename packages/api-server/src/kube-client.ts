/**
 * The few kube API calls this server makes, as its own identity
 * (cnpaas-api-server, from --kubeconfig): create a RegistrationRequest
 * (optionally as a server-side dry run), read one, watch one by name from a
 * resourceVersion, and ask a SubjectAccessReview.
 *
 * Raw JSON over node:https with the kubeconfig's TLS and credentials
 * (`KubeConfig.applyToHTTPSOptions`), not client-node's generated APIs:
 * - the generated create has no way to read the apiserver's `Status` body
 *   as sent (we pass its code, reason and message on to our caller);
 * - 1.4.0's `Watch` cannot be aborted before headers arrive and ignores
 *   `timeoutSeconds`; a registration must be able to give up at its deadline.
 * (@cnpaas/kube's ResourceClient has the same reasons, but no dry run.)
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { REGISTRATION_REQUESTS_PATH } from './api-group.js';
import { ApiServerError } from './errors.js';
import { isStatus, type KubeStatus } from './status.js';

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

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

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

/**
 * A failed kube API call. `httpStatus` is undefined when no HTTP answer came
 * (connection refused, TLS failure, idle timeout); `status` is the
 * apiserver's Status body when it sent one.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly httpStatus: number | undefined,
    readonly status: (Partial<KubeStatus> & { kind: 'Status' }) | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

export interface HttpKubeApiOptions {
  /** Socket idle timeout of ordinary requests. Default 15 s: a registration's whole budget is 30 s by default. */
  requestTimeoutMs?: number;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
/** Silence tolerated on a watch beyond its server-side timeout before we call the connection dead. */
const WATCH_IDLE_GRACE_MS = 5_000;

export class HttpKubeApi implements KubeApi {
  readonly #kc: KubeConfig;
  readonly #requestTimeoutMs: number;

  constructor(kc: KubeConfig, options: HttpKubeApiOptions = {}) {
    this.#kc = kc;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  async createRegistrationRequest(
    object: RegistrationRequest,
    options: { dryRun: boolean; signal?: AbortSignal },
  ): Promise<RegistrationRequest> {
    const query = { fieldManager: 'cnpaas-api-server', ...(options.dryRun ? { dryRun: 'All' } : {}) };
    return (await this.#json({
      method: 'POST',
      path: REGISTRATION_REQUESTS_PATH,
      query,
      body: object,
      signal: options.signal,
    })) as RegistrationRequest;
  }

  async getRegistrationRequest(
    name: string,
    options: { signal?: AbortSignal },
  ): Promise<RegistrationRequest | undefined> {
    try {
      return (await this.#json({
        method: 'GET',
        path: `${REGISTRATION_REQUESTS_PATH}/${encodeURIComponent(name)}`,
        signal: options.signal,
      })) as RegistrationRequest;
    } catch (err) {
      if (err instanceof KubeApiError && err.httpStatus === 404) return undefined;
      throw err;
    }
  }

  async createSubjectAccessReview(
    spec: SubjectAccessReviewSpec,
    options: { signal?: AbortSignal },
  ): Promise<SubjectAccessReviewStatus> {
    const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
    const review = (await this.#json({ method: 'POST', path: SAR_PATH, body, signal: options.signal })) as
      { status?: SubjectAccessReviewStatus } | undefined;
    if (!review?.status || typeof review.status.allowed !== 'boolean') {
      throw new KubeApiError('the SubjectAccessReview came back without status.allowed', 200, undefined);
    }
    return review.status;
  }

  async watchRegistrationRequest(
    options: WatchRegistrationOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    const query = {
      watch: 'true',
      resourceVersion: options.resourceVersion,
      fieldSelector: `metadata.name=${options.name}`,
      allowWatchBookmarks: 'true',
      timeoutSeconds: Math.max(1, Math.ceil(options.timeoutSeconds)),
    };
    const what = `watch RegistrationRequest ${options.name}`;
    let res: http.IncomingMessage;
    try {
      res = await this.#open(
        { method: 'GET', path: REGISTRATION_REQUESTS_PATH, query, signal: options.signal },
        options.timeoutSeconds * 1000 + WATCH_IDLE_GRACE_MS,
      );
    } catch (err) {
      if (options.signal.aborted) return;
      throw err;
    }
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (err === undefined) resolve();
        else {
          res.destroy();
          reject(err);
        }
      };
      const onLine = (line: string): void => {
        if (line.trim() === '') return;
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return settle(new KubeApiError(`${what}: the apiserver sent a line that is not JSON`, undefined, undefined));
        }
        if (event.type === 'ERROR') {
          const status = isStatus(event.object) ? event.object : undefined;
          return settle(new KubeApiError(`${what}: ${status?.message ?? 'watch error'}`, status?.code ?? 500, status));
        }
        if (
          event.type !== 'ADDED' &&
          event.type !== 'MODIFIED' &&
          event.type !== 'DELETED' &&
          event.type !== 'BOOKMARK'
        ) {
          return settle(new KubeApiError(`${what}: unknown event type ${String(event.type)}`, undefined, undefined));
        }
        try {
          onEvent({ type: event.type, object: event.object as RegistrationRequest });
        } catch (err) {
          // The caller's handler threw: the watch ends with that failure.
          settle(err instanceof Error ? err : new Error(String(err)));
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
        settle();
      });
      res.on('error', (err) => settle(options.signal.aborted ? undefined : err));
      res.on('close', () => {
        if (options.signal.aborted || res.complete) settle();
        else settle(new KubeApiError(`${what}: connection closed mid-stream`, undefined, undefined));
      });
    }).catch((err: unknown) => {
      if (options.signal.aborted) return;
      throw err;
    });
  }

  async #json(spec: RequestSpec): Promise<unknown> {
    const res = await this.#open(spec, this.#requestTimeoutMs);
    const text = await readBody(res);
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      throw new KubeApiError(
        `${spec.method} ${spec.path} answered ${res.statusCode} with a body that is not JSON`,
        res.statusCode,
        undefined,
      );
    }
  }

  /** Sends the request; resolves with a 2xx response, rejects with `KubeApiError` otherwise. */
  async #open(spec: RequestSpec, idleTimeoutMs: number): Promise<http.IncomingMessage> {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) {
      throw new ApiServerError('CNPAAS_API_KUBECONFIG', 'the kubeconfig has no current cluster', {
        hint: 'set current-context in the kubeconfig given with --kubeconfig',
      });
    }
    const url = new URL(cluster.server.replace(/\/+$/, '') + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const opts: https.RequestOptions = {
      method: spec.method,
      headers: {
        Accept: 'application/json',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
      },
    };
    await this.#kc.applyToHTTPSOptions(opts);
    const transport = url.protocol === 'https:' ? https : http;
    const what = `${spec.method} ${spec.path}`;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...opts, ...(spec.signal ? { signal: spec.signal } : {}) }, (res) => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) return resolve(res);
        readBody(res).then((text) => reject(statusError(what, code, text)), reject);
      });
      req.setTimeout(idleTimeoutMs, () =>
        req.destroy(new KubeApiError(`${what}: no answer for ${idleTimeoutMs} ms`, undefined, undefined)),
      );
      req.on('error', (err) =>
        reject(
          err instanceof KubeApiError
            ? err
            : new KubeApiError(`${what}: ${err.message}`, undefined, undefined, { cause: err }),
        ),
      );
      req.end(payload);
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function statusError(what: string, code: number, text: string): KubeApiError {
  let status: (Partial<KubeStatus> & { kind: 'Status' }) | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isStatus(parsed)) status = parsed;
  } catch {
    // Not a Status (a proxy's HTML page, say): keep the HTTP reason phrase.
  }
  return new KubeApiError(
    `${what}: HTTP ${code}: ${status?.message ?? http.STATUS_CODES[code] ?? 'error'}`,
    code,
    status,
  );
}
