/**
 * The webhooks' HTTPS server (fastify).
 *
 * - Admission routes (`POST /mutate/…`, `/validate/…`) answer AdmissionReview
 *   v1. With a client CA configured they require a client certificate signed
 *   by it: kube-apiserver presents one (DESIGN.md, PKI → Webhooks), and
 *   nobody else should be able to create email claims by posting reviews.
 *   The TLS handshake itself asks for, but does not require, a certificate
 *   (`rejectUnauthorized: false`), so `/healthz`, `/readyz` and `/metrics`
 *   stay reachable without one on the same port; the check is per route.
 * - Request bodies are never logged, and a body that is not JSON is refused
 *   with a fixed message: V8's JSON.parse errors quote the text around the
 *   error, which may be a password.
 * - 1 MiB body limit: a review of our objects is a few KiB.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { clientCertificateCheck, listenOrExplain, serverUrl } from '@cnpaas/service-kit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  deny,
  parseAdmissionReview,
  reviewResponse,
  type AdmissionRequest,
  type AdmissionResponse,
} from './admission-review.js';
import { WebhooksError, errorMessage, kitError } from './errors.js';
import type { Logger } from './logger.js';
import { WebhookMetrics } from './metrics.js';
import type { WebhookRoute } from './routes.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA that signs the clients' certificates (kube-apiserver's webhook client cert). Unset: no client certificate required. */
  clientCa?: string | Buffer | undefined;
}

export interface WebhookServerOptions {
  tls: TlsMaterial;
  /** With `tls.clientCa`: the certificate's subject CN must be one of these. Empty or unset: any certificate the CA signed. */
  allowedClientNames?: readonly string[];
  routes: readonly WebhookRoute[];
  log: Logger;
  metrics?: WebhookMetrics;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export class WebhookServer {
  readonly app: FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;
  readonly metrics: WebhookMetrics;
  #ready = false;

  constructor(options: WebhookServerOptions) {
    this.metrics = options.metrics ?? new WebhookMetrics();
    const requireClientCert = options.tls.clientCa !== undefined;
    const app = Fastify({
      https: {
        key: options.tls.key,
        cert: options.tls.cert,
        ...(requireClientCert ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
        minVersion: 'TLSv1.2',
      },
      loggerInstance: options.log,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      return503OnClosing: true,
    });
    this.app = app;

    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new WebhooksError('CNPAAS_WEBHOOKS_BODY_NOT_JSON', 'request body is not valid JSON', { httpStatus: 400 }), undefined);
      }
    });
    app.setErrorHandler((error: FastifyError | WebhooksError, request, reply) => this.#onError(error, request, reply));

    app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok'));
    app.get('/readyz', async (_request, reply) =>
      this.#ready ? reply.type('text/plain').send('ok') : reply.code(503).type('text/plain').send('not ready'),
    );
    app.get('/metrics', async (_request, reply) =>
      reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()),
    );

    const checkClient = requireClientCert
      ? clientCertificateCheck({
          allowedNames: options.allowedClientNames ?? [],
          signer: 'the webhooks\' client CA',
          action: 'call admission routes',
          hint: 'give kube-apiserver --admission-control-config-file with a kubeConfigFile holding its webhook client certificate',
          error: kitError,
        })
      : undefined;
    for (const route of options.routes) {
      app.post(route.path, { ...(checkClient ? { onRequest: checkClient } : {}) }, async (request, reply) => {
        const review = parseAdmissionReview(request.body);
        const response = await this.#admit(route, review.request, request.log);
        return reply.send(reviewResponse(response));
      });
    }
  }

  /** Listens; resolves with the base URL, e.g. https://127.0.0.1:9443. */
  async listen(options: ListenOptions): Promise<string> {
    await listenOrExplain(() => this.app.listen({ host: options.host, port: options.port }), { ...options, flag: 'listen', error: kitError });
    this.#ready = true;
    return this.url();
  }

  url(): string {
    return serverUrl(this.app.server, 'https');
  }

  /** Swaps certificates without a restart (certificate rotation); new connections use them. */
  setTls(tls: TlsMaterial): void {
    this.app.server.setSecureContext({ key: tls.key, cert: tls.cert, ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}) });
  }

  /** Stops taking connections, lets requests in flight finish. */
  async close(): Promise<void> {
    this.#ready = false;
    await this.app.close();
  }

  async #admit(route: WebhookRoute, request: AdmissionRequest, log: FastifyRequest['log']): Promise<AdmissionResponse> {
    const started = performance.now();
    let response: AdmissionResponse;
    try {
      response = await route.handler(request);
      if (route.type === 'validating' && (response.patch !== undefined || response.patchType !== undefined)) {
        throw new Error(`validating webhook ${route.webhook} produced a patch`);
      }
    } catch (err) {
      // Never the request body: only what failed.
      log.error({ webhook: route.webhook, uid: request.uid, err: errorMessage(err) }, 'admission handler failed');
      response = deny(request, {
        code: 500,
        reason: 'InternalError',
        message: `webhook ${route.webhook} failed internally; see the cnpaas-webhooks log for review ${request.uid}`,
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const code = response.allowed ? 200 : (response.status?.code ?? 403);
    this.metrics.admissionDuration.observe({ webhook: route.webhook }, seconds);
    this.metrics.admissionTotal.inc({ webhook: route.webhook, operation: request.operation, allowed: String(response.allowed), code: String(code) });
    log.info(
      {
        webhook: route.webhook,
        uid: request.uid,
        resource: `${request.resource.resource}.${request.resource.group}`,
        operation: request.operation,
        name: request.name,
        namespace: request.namespace,
        dryRun: request.dryRun === true,
        allowed: response.allowed,
        code,
        reason: response.status?.reason,
        patched: response.patch !== undefined,
        // Denial messages for bad input may name an email address; only server faults are worth the text.
        ...(code >= 500 ? { message: response.status?.message } : {}),
        ms: Math.round(seconds * 1000),
      },
      'admission',
    );
    return response;
  }

  #onError(error: FastifyError | WebhooksError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (error instanceof WebhooksError) {
      const status = error.httpStatus ?? 500;
      this.metrics.rejectedRequests.inc({ reason: error.code });
      request.log.warn({ code: error.code, statusCode: status }, error.message);
      return reply.code(status).send({ code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status === 413) this.metrics.rejectedRequests.inc({ reason: 'BODY_TOO_LARGE' });
    // fastify's own errors (413, 415, 404…) have fixed messages that never quote the body.
    if (status >= 500) request.log.error({ code: error.code, statusCode: status, err: error.message }, 'request failed');
    else request.log.warn({ code: error.code, statusCode: status }, error.message);
    return reply.code(status).send({ code: error.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message });
  }
}
