/**
 * The webhooks' HTTPS server (fastify).
 *
 * - Admission routes (`POST /mutate/…`, `/validate/…`) answer AdmissionReview
 *   v1. With a client CA configured they require a client certificate signed
 *   by it: kube-apiserver presents one (docs/design.md "Security"), and
 *   nobody else should be able to create email claims by posting reviews.
 *   The TLS handshake itself asks for, but does not require, a certificate
 *   (`rejectUnauthorized: false`), so `/healthz`, `/livez`, `/readyz` and
 *   `/metrics` stay reachable without one on the same port; the check is
 *   per route.
 * - Request bodies are never logged, and a body that is not JSON is refused
 *   with a fixed message: V8's JSON.parse errors quote the text around the
 *   error, which may be a password.
 * - 1 MiB body limit: a review of our objects is a few KiB.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import {
  MtlsJsonService,
  parseAdmissionReview as parseReview,
  clientCertificateCheck,
  deny,
  reviewResponse,
  type AdmissionRequest,
  type AdmissionResponse,
  type CheckedAdmissionReview,
  type MtlsJsonServerKind,
  type MtlsJsonServerOptions,
  type MtlsMaterial,
} from '@cnpaas/service-kit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { WebhooksError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { WebhookMetrics } from './metrics.js';
import type { WebhookRoute } from './routes.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** `clientCa` signs the clients' certificates (kube-apiserver's webhook client cert). Unset: no client certificate required. */
export type TlsMaterial = MtlsMaterial;

/** `bodyLimit` defaults to 1 MiB. */
export interface WebhookServerOptions extends MtlsJsonServerOptions<Logger, WebhookMetrics> {
  /** With `tls.clientCa`: the certificate's subject CN must be one of these. Empty or unset: any certificate the CA signed. */
  allowedClientNames?: readonly string[];
  routes: readonly WebhookRoute[];
}

type App = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;

/** Health routes, listen, url, setTls, close, JSON bodies and errors: the kit's MtlsJsonService. */
export class WebhookServer extends MtlsJsonService<App, Logger, WebhookMetrics> {
  constructor(options: WebhookServerOptions) {
    super(options, SERVER_KIND);

    const checkClient =
      options.tls.clientCa !== undefined
        ? clientCertificateCheck({
            allowedNames: options.allowedClientNames ?? [],
            signer: "the webhooks' client CA",
            action: 'call admission routes',
            hint: 'give kube-apiserver --admission-control-config-file with a kubeConfigFile holding its webhook client certificate',
            error: WebhooksError.kit,
          })
        : undefined;
    for (const route of options.routes) {
      this.app.post(route.path, { ...(checkClient ? { onRequest: checkClient } : {}) }, async (request, reply) => {
        const review = parseAdmissionReview(request.body);
        const response = await this.#admit(route, review.request, request.log);
        return reply.send(reviewResponse(response));
      });
    }
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
    this.metrics.admissionTotal.inc({
      webhook: route.webhook,
      operation: request.operation,
      allowed: String(response.allowed),
      code: String(code),
    });
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
}

/** How the kit's base builds this server: fastify, its metrics and body limit, its errors. */
const SERVER_KIND: MtlsJsonServerKind<App, Logger, WebhookMetrics> = {
  fastify: (options) => Fastify(options),
  metrics: () => new WebhookMetrics(),
  bodyLimit: DEFAULT_BODY_LIMIT,
  errors: WebhooksError,
};

/** The envelope checked by the kit; a body that is not a review is CNPAAS_WEBHOOKS_BAD_REVIEW (HTTP 400). */
function parseAdmissionReview(body: unknown): CheckedAdmissionReview {
  return parseReview(body, WebhooksError.kit);
}
