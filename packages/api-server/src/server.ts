/**
 * The HTTPS server (fastify) behind kube-apiserver's aggregator.
 *
 * Every request except /healthz, /livez, /readyz and /metrics goes through
 *   1. authentication: the front-proxy client certificate, then X-Remote-*
 *      (@cnpaas/service-kit's `authenticateFrontProxy`, the requestheader
 *      scheme) → 401 Status;
 *   2. for a registration (POST), the caller's rate limit (service-kit's CallerRateLimiter;
 *      logins have their own limits, per caller and per address, in
 *      login-flow.ts)
 *      → 429 Status with Retry-After, before the SubjectAccessReview, as
 *      kube-apiserver's flow control runs before its authorizer;
 *   3. authorization: a SubjectAccessReview for the caller (authorizer.ts),
 *      resource attributes for registrations, non-resource attributes for
 *      discovery and OpenAPI, as k8s.io/apiserver does → 403 Status;
 * all in `onRequest`, so a refused request's body is never read.
 *
 * The TLS handshake asks for, but does not require, a client certificate
 * (`rejectUnauthorized: false`): health and metrics stay reachable on the
 * same port without one, and a caller without one gets a 401 Status that
 * says how to call instead of a bare TLS alert.
 *
 * Bodies: any Content-Type is read as text up to --max-body-bytes, then
 * decoded as JSON or YAML by registration-body.ts (415 for other types).
 * Nothing logs a body; parse errors never quote one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import {
  CallerRateLimiter,
  HEALTH_PATHS,
  HttpsService,
  addDiscoveryRoutes,
  authenticateFrontProxy,
  failureStatus,
  fastifyHttpsOptions,
  logFailure,
  type RequestFailure,
  type ServingTls,
} from '@cnpaas/service-kit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { API_GROUP, API_GROUP_VERSION, API_VERSION, SERVED, servedAt } from './api-group.js';
import { askReviewWith, SubjectAccessReviewAuthorizer, type Attributes, type UserInfo } from './authorizer.js';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_REGISTRATION_BURST,
  DEFAULT_REGISTRATION_TIMEOUT_MS,
  DEFAULT_REGISTRATIONS_PER_MINUTE,
} from './config.js';
import { SERVED_GROUP_VERSION } from './discovery.js';
import { ApiServerError, errorMessage, proxyError } from './errors.js';
import type { KubeApi } from './kube-api.js';
import type { Logger } from './logger.js';
import { ApiServerMetrics } from './metrics.js';
import { OPENAPI_V3_GROUP_PATH, OPENAPI_V3_ROOT, openApiV3 } from './openapi.js';
import { bodyFormat, decodeBody, toRegistrationRequest } from './registration-body.js';
import { RegistrationFlow } from './registration-flow.js';
import { failure, httpError, type KubeStatus } from './status.js';
import { LoginFlow } from './login-flow.js';
import { toLogin, toVerification } from './sign-in-body.js';
import { VerificationFlow } from './verification-flow.js';
import { VerificationKey } from './verification-key.js';

/** The fix a 401 names: come through the aggregator, as every caller of this API must. */
const HOW_TO_CALL =
  'call this API through kube-apiserver, e.g. kubectl create --raw /apis/api.webshop.cnpaas.dev/v1/registrations -f registration.yaml';

/** Answered without a client certificate or a SubjectAccessReview (docs/design.md "Security": loopback-only, unauthenticated). */

export const UNAUTHENTICATED_PATHS = new Set(HEALTH_PATHS);

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  /** The requestheader (front-proxy) CA: the only CA whose client certificates are trusted. */
  requestheaderCa: string | Buffer;
}

export interface ApiServerOptions {
  tls: TlsMaterial;
  /** CNs allowed on front-proxy certificates (--requestheader-allowed-names). */
  allowedNames: readonly string[];
  kube: KubeApi;
  log: Logger;
  metrics?: ApiServerMetrics;
  /** Default 30 s. Keep it under kube-apiserver's --request-timeout (60 s), or the aggregator answers first. */
  registrationTimeoutMs?: number;
  /** Largest request body in bytes; default 64 KiB. */
  bodyLimit?: number;
  /** Default: a SubjectAccessReviewAuthorizer on `kube` with 10 s caches. */
  authorizer?: SubjectAccessReviewAuthorizer;
  /** First pause before re-opening a failed watch (tests shorten it). */
  watchRetryDelayMs?: number;
  /** Registrations per caller; default 5 at once, then 10 a minute (--registration-rate, --registration-burst). */
  registrationLimiter?: CallerRateLimiter;
  /** Default: a LoginFlow on `kube` with its default rate limits and the webhooks' PasswordHasher. */
  loginFlow?: LoginFlow;
  /** Default: the Secret cnpaas-system/cnpaas-verification-key read through `kube`. */
  verificationKey?: Pick<VerificationKey, 'get'>;
  /** Milliseconds since the epoch (token expiry, verifiedAt); for tests. */
  now?: () => number;
}

type App = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;

/**
 * Health routes, listen, url, setTls and close: the kit's HttpsService.
 * Closing lets registrations in flight finish, each within its timeout.
 */
export class ApiServer extends HttpsService<App, TlsMaterial> {
  readonly metrics: ApiServerMetrics;
  readonly registrationLimiter: CallerRateLimiter;
  readonly #users = new WeakMap<FastifyRequest, UserInfo>();
  readonly #flow: RegistrationFlow;
  readonly #verification: VerificationFlow;
  readonly loginFlow: LoginFlow;
  readonly #openapi = openApiV3();

  constructor(options: ApiServerOptions) {
    const metrics = options.metrics ?? new ApiServerMetrics();
    const app: App = Fastify(
      fastifyHttpsOptions({
        tls: servingTls(options.tls),
        log: options.log,
        bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      }),
    );
    super(app, { error: ApiServerError.kit, registry: metrics.registry, servingTls });
    this.metrics = metrics;
    this.registrationLimiter =
      options.registrationLimiter ??
      new CallerRateLimiter({ perMinute: DEFAULT_REGISTRATIONS_PER_MINUTE, burst: DEFAULT_REGISTRATION_BURST });
    const authorizer =
      options.authorizer ??
      new SubjectAccessReviewAuthorizer({ askReview: askReviewWith(options.kube.client), metrics: this.metrics });
    this.#flow = new RegistrationFlow({
      client: options.kube.client,
      timeoutMs: options.registrationTimeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT_MS,
      log: options.log,
      ...(options.watchRetryDelayMs !== undefined ? { retryDelayMs: options.watchRetryDelayMs } : {}),
    });

    this.#verification = new VerificationFlow({
      kube: options.kube,
      key: options.verificationKey ?? new VerificationKey({ kube: options.kube }),
      ...(options.now ? { now: options.now } : {}),
    });
    this.loginFlow = options.loginFlow ?? new LoginFlow({ kube: options.kube });

    // Every body as text; registration-body.ts decides JSON or YAML (and 415).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.setErrorHandler((error: RequestFailure | ApiServerError, request, reply) =>
      this.#onError(error, request, reply),
    );
    app.setNotFoundHandler((request, reply) =>
      this.#sendStatus(
        reply,
        failure({
          code: 404,
          reason: 'NotFound',
          message: `the server could not find the requested resource (${request.method} ${pathOf(request.url)})`,
        }),
      ),
    );

    app.addHook('onRequest', async (request) => {
      const path = pathOf(request.url);
      if (UNAUTHENTICATED_PATHS.has(path)) return;
      const user = authenticateFrontProxy(request.raw, {
        allowedNames: options.allowedNames,
        hint: HOW_TO_CALL,
        error: proxyError,
      });
      this.#users.set(request, user);
      if (request.method === 'POST' && isRegistrationsPath(path)) this.#limit(user.username);
      await authorizer.authorize(user, attributesFor(request.method, path));
    });
    app.addHook('onResponse', async (request, reply) => {
      this.metrics.requests.inc({
        verb: request.method,
        resource: resourceLabel(pathOf(request.url)),
        code: String(reply.statusCode),
      });
    });

    addDiscoveryRoutes(app, SERVED_GROUP_VERSION);
    app.get(OPENAPI_V3_ROOT, async (_request, reply) => reply.type('application/json').send(this.#openapi.discovery));
    app.get(OPENAPI_V3_GROUP_PATH, async (request, reply) => {
      const hash = (request.query as Record<string, unknown>)['hash'];
      reply.header('ETag', `"${this.#openapi.hash}"`);
      // A URL carrying the current hash never changes; anything else must be revalidated.
      reply.header('Cache-Control', hash === this.#openapi.hash ? 'public, immutable' : 'no-cache, private');
      return reply.type('application/json').send(this.#openapi.document);
    });

    const readBody = (request: FastifyRequest): unknown => {
      const format = bodyFormat(request.headers['content-type']);
      if (!format) {
        throw httpError('CNPAAS_API_UNSUPPORTED_MEDIA_TYPE', {
          code: 415,
          message: `the body's Content-Type ${JSON.stringify(request.headers['content-type'])} is not supported`,
          hint: 'send application/json or application/yaml',
        });
      }
      return decodeBody(typeof request.body === 'string' ? request.body : '', format);
    };
    const register = async (
      request: FastifyRequest,
      reply: FastifyReply,
      nameFromPath: string | undefined,
    ): Promise<FastifyReply> => {
      const started = performance.now();
      const user = this.#users.get(request)!;
      const dryRun = parseDryRun((request.query as Record<string, unknown>)['dryRun']);
      const object = toRegistrationRequest(readBody(request), { nameFromPath });
      // The caller going away ends the wait (not the registration: the operator carries on).
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      let outcome: 'created' | 'dry-run' | 'failed' = 'failed';
      let code = 500;
      let name = object.metadata.name;
      try {
        const result = await this.#flow.register({ object, user, dryRun, signal: gone.signal });
        outcome = dryRun ? 'dry-run' : 'created';
        code = result.code;
        name = result.registration.metadata.name;
        return await reply.code(result.code).type('application/json').send(result.registration);
      } catch (err) {
        code = err instanceof ApiServerError && err.status ? err.status.code : 500;
        throw err;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        this.metrics.registrationDuration.observe(
          { outcome: outcome === 'failed' ? `http_${code}` : outcome },
          seconds,
        );
        // Who, what, how it ended. Never the body: it holds a password (and the email is personal data).
        request.log.info({ user: user.username, name, dryRun, code, ms: Math.round(seconds * 1000) }, 'registration');
      }
    };
    app.post(SERVED.registrations.path, async (request, reply) => register(request, reply, undefined));
    app.post(`${SERVED.registrations.path}/:name`, async (request, reply) =>
      register(request, reply, (request.params as { name: string }).name),
    );
    /**
     * One create-only resource answered 201 with its result as status; the log line says who and the
     * code, never the body (a verification token is the link; an address is personal data, and a
     * password or the returned token a credential).
     */
    const createOnly = async (options: {
      request: FastifyRequest;
      reply: FastifyReply;
      kind: string;
      what: string;
      run: () => Promise<unknown>;
    }): Promise<FastifyReply> => {
      const user = this.#users.get(options.request)!;
      let code = 500;
      try {
        const status = await options.run();
        code = 201;
        return await options.reply
          .code(201)
          .type('application/json')
          .send({ apiVersion: API_GROUP_VERSION, kind: options.kind, metadata: {}, spec: {}, status });
      } catch (err) {
        code = err instanceof ApiServerError && err.status ? err.status.code : 500;
        throw err;
      } finally {
        options.request.log.info({ user: user.username, code }, options.what);
      }
    };
    app.post(SERVED.verifications.path, async (request, reply) => {
      const { token } = toVerification(readBody(request));
      return createOnly({
        request,
        reply,
        kind: SERVED.verifications.kind,
        what: 'verification',
        run: () => this.#verification.verify(token),
      });
    });
    app.post(SERVED.logins.path, async (request, reply) => {
      const body = toLogin(readBody(request));
      const caller = this.#users.get(request)!.username;
      return createOnly({
        request,
        reply,
        kind: SERVED.logins.kind,
        what: 'login',
        run: () => this.loginFlow.login({ caller, ...body }),
      });
    });

    for (const resource of Object.values(SERVED)) {
      const { path } = resource;
      const methodNotAllowed = async (request: FastifyRequest, reply: FastifyReply) =>
        this.#sendStatus(
          reply,
          failure({
            code: 405,
            reason: 'MethodNotAllowed',
            message: `the server does not allow this method on the requested resource: ${resource.plural} only supports create (POST), not ${request.method}`,
          }),
        );
      const urls = resource === SERVED.registrations ? [path, `${path}/:name`] : [path];
      for (const url of urls) app.route({ method: ['GET', 'PUT', 'PATCH', 'DELETE'], url, handler: methodNotAllowed });
    }
  }

  #sendStatus(reply: FastifyReply, status: KubeStatus): FastifyReply {
    // Retry-After goes with every Status that names a wait (429 here), as kube-apiserver sends it.
    if (status.details?.retryAfterSeconds !== undefined)
      reply.header('Retry-After', String(status.details.retryAfterSeconds));
    return reply.code(status.code).type('application/json').send(status);
  }

  /** Throws 429 TooManyRequests when `caller` has no registration left in its bucket. */
  #limit(caller: string): void {
    const decision = this.registrationLimiter.take(caller);
    if (decision.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    const { burst, perMinute } = this.registrationLimiter;
    throw httpError('CNPAAS_API_RATE_LIMITED', {
      code: 429,
      reason: 'TooManyRequests',
      message: `too many registrations from ${JSON.stringify(caller)}: at most ${burst} at once and ${perMinute} a minute`,
      hint: `retry after ${retryAfterSeconds} s`,
      details: { retryAfterSeconds },
    });
  }

  #onError(error: RequestFailure | ApiServerError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (error instanceof ApiServerError) {
      const status = error.status ?? failure({ code: 500, message: error.message });
      if (status.code === 401 || status.code === 403 || status.code === 429)
        this.metrics.rejectedRequests.inc({ reason: error.code });
      const line = { code: error.code, statusCode: status.code, reason: status.reason };
      if (status.code >= 500) request.log.error({ ...line, err: errorMessage(error.cause ?? error) }, error.message);
      else request.log.warn(line, error.message);
      return this.#sendStatus(reply, status);
    }
    const code = failureStatus(error);
    if (code === 413) {
      const tooLarge = httpError('CNPAAS_API_TOO_LARGE', {
        code: 413,
        message: `the request body is larger than the limit of ${this.app.initialConfig.bodyLimit} bytes`,
      });
      this.metrics.rejectedRequests.inc({ reason: tooLarge.code });
      return this.#sendStatus(reply, tooLarge.status!);
    }
    logFailure(request.log, error, code);
    if (code >= 500)
      return this.#sendStatus(
        reply,
        failure({ code: 500, message: `internal error; see the cnpaas-api-server log for request ${request.id}` }),
      );
    // fastify's own 4xx errors have fixed messages that never quote the body.
    return this.#sendStatus(reply, failure({ code, message: error.message }));
  }
}

function servingTls(tls: TlsMaterial): ServingTls {
  return { key: tls.key, cert: tls.cert, ca: tls.requestheaderCa };
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The verb k8s.io/apiserver's RequestInfo would give (collection vs named object). */
function resourceVerb(method: string, named: boolean): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'GET':
    case 'HEAD':
      return named ? 'get' : 'list';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** The registrations collection or one name in it. */
function isRegistrationsPath(path: string): boolean {
  return servedAt(path)?.resource === SERVED.registrations;
}

export function attributesFor(method: string, path: string): Attributes {
  const served = servedAt(path);
  if (!served) return { nonResource: { path, verb: method.toLowerCase() } };
  const { resource, name } = served;
  return {
    resource: {
      group: API_GROUP,
      version: API_VERSION,
      resource: resource.plural,
      verb: resourceVerb(method, name !== ''),
      // A name on a create is not part of the request's attributes in Kubernetes either.
      ...(name && method !== 'POST' ? { name: decodeURIComponent(name) } : {}),
    },
  };
}

function resourceLabel(path: string): string {
  if (UNAUTHENTICATED_PATHS.has(path)) return 'health';
  const served = servedAt(path);
  if (served) return served.resource.plural;
  if (path.startsWith(OPENAPI_V3_ROOT)) return 'openapi';
  if (path === '/apis' || path.startsWith('/apis/')) return 'discovery';
  return 'other';
}

/** `?dryRun=All`, the only value Kubernetes defines; anything else is a 400 like kube-apiserver's. */
function parseDryRun(value: unknown): boolean {
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  if (values.every((v) => v === 'All')) return true;
  throw httpError('CNPAAS_API_BAD_BODY', {
    code: 400,
    message: `invalid dryRun value ${JSON.stringify(values)}: the only supported value is All`,
  });
}
