/**
 * The email function's HTTPS server (fastify).
 *
 * `POST /` (alias `POST /email`) takes an event from the trigger
 * (event.ts), runs the exactly-once protocol and answers:
 *
 * | status | when | the trigger should |
 * |---|---|---|
 * | 200 | sent, already sent, failed permanently (recorded in the Email's status), Email gone, DELETED event | move on |
 * | 422 | the body is not an Email event, or the stored Email is malformed (recorded) | move on; retrying cannot help |
 * | 503 + Retry-After | SMTP failed transiently, another instance holds a live claim, or the API is unreachable | retry after that many seconds |
 * | 401 / 403 | no client certificate, or a CN not on the list | fix its credentials |
 *
 * "Claimed elsewhere" is 503, not 202: a 2xx ends the trigger's retries, and
 * if the claim's holder then died nobody would send that Email.
 *
 * Callers authenticate with a client certificate (mTLS), as kube-apiserver
 * does towards the webhooks: the platform's PKI already issues one identity
 * per component, and the HTTPTrigger's `auth.tls` presents one. The TLS
 * handshake asks for but does not require a certificate, so /healthz,
 * /readyz and /metrics stay reachable without one; POST checks it.
 *
 * Bodies are never logged; a body that is not JSON gets a fixed message
 * (V8's JSON.parse errors quote the text, which may be the Email's body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { clientCertificateCheck, listenOrExplain, serverUrl } from '@cnpaas/service-kit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DeliveryOutcome, EmailDelivery } from '../claim/exactly-once.js';
import { FunctionsError, errorMessage, kitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseEmailEvent } from './event.js';
import { FunctionMetrics } from './metrics.js';

/** An Email is a few KiB; the spec body is capped at 256 KiB (email-resource.ts). */
export const DEFAULT_BODY_LIMIT = 512 * 1024;
/** Retry-After when the Kubernetes API could not be reached. */
const STORE_RETRY_AFTER_S = 5;

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA that signs the callers' client certificates. */
  clientCa: string | Buffer;
}

export interface EmailFunctionServerOptions {
  tls: TlsMaterial;
  /** CNs allowed to POST; empty: any certificate the client CA signed. */
  allowedClientNames?: readonly string[];
  delivery: Pick<EmailDelivery, 'deliver'>;
  log: Logger;
  metrics?: FunctionMetrics;
  bodyLimit?: number;
}

export function httpStatusOf(outcome: DeliveryOutcome): number {
  switch (outcome.outcome) {
    case 'invalid':
      return 422;
    case 'retry-later':
      return 503;
    default:
      return 200;
  }
}

export class EmailFunctionServer {
  readonly app: FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;
  readonly metrics: FunctionMetrics;
  #ready = false;

  constructor(options: EmailFunctionServerOptions) {
    this.metrics = options.metrics ?? new FunctionMetrics();
    const app = Fastify({
      https: { key: options.tls.key, cert: options.tls.cert, ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
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
        done(new FunctionsError('CNPAAS_FUNCTIONS_BODY_NOT_JSON', 'request body is not valid JSON', { httpStatus: 400 }), undefined);
      }
    });
    app.setErrorHandler((error: FastifyError | FunctionsError, request, reply) => this.#onError(error, request, reply));

    app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok'));
    app.get('/readyz', async (_request, reply) => (this.#ready ? reply.type('text/plain').send('ok') : reply.code(503).type('text/plain').send('not ready')));
    app.get('/metrics', async (_request, reply) => reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()));

    // A refusal reaches #onError, which counts it in rejectedRequests.
    const onRequest = clientCertificateCheck({
      allowedNames: options.allowedClientNames ?? [],
      signer: 'the function\'s client CA',
      action: 'call the function',
      hint: 'give the trigger the client certificate cnpaas up issued for it (HTTPTrigger auth.tls)',
      error: kitError,
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const started = performance.now();
      const event = parseEmailEvent(request.body);
      const where = { namespace: event.ref.namespace, name: event.ref.name, uid: event.uid, eventType: event.type };
      if (event.type === 'DELETED') {
        request.log.info(where, 'DELETED event; nothing to send');
        return this.#answer(reply, { outcome: 'ignored' }, 200, started);
      }
      let outcome: DeliveryOutcome;
      try {
        outcome = await options.delivery.deliver(event.ref, event.uid);
      } catch (err) {
        // The API (or anything else) failed mid-protocol: nothing was recorded as done, so the trigger must retry.
        request.log.error({ ...where, err: errorMessage(err) }, 'delivery failed');
        reply.header('retry-after', String(STORE_RETRY_AFTER_S));
        return this.#answer(reply, { outcome: 'error', message: errorMessage(err) }, 503, started);
      }
      const status = httpStatusOf(outcome);
      if (outcome.outcome === 'retry-later') reply.header('retry-after', String(Math.ceil(outcome.retryAfterMs / 1000)));
      request.log.info({ ...where, outcome: outcome.outcome, code: status }, 'delivery');
      return this.#answer(reply, { ...outcome, namespace: event.ref.namespace, name: event.ref.name }, status, started);
    };
    app.post('/', { onRequest }, handler);
    app.post('/email', { onRequest }, handler);
  }

  #answer(reply: FastifyReply, body: Record<string, unknown> & { outcome: string }, status: number, started: number): FastifyReply {
    this.metrics.deliveries.inc({ outcome: body.outcome, code: String(status) });
    this.metrics.duration.observe({ outcome: body.outcome }, (performance.now() - started) / 1000);
    // A permanent SMTP error text can quote the recipient; it is in the Email's status, not in the answer.
    const { message: _message, ...rest } = body;
    return reply.code(status).send(body.outcome === 'failed' ? rest : body);
  }

  /** Listens; resolves with the base URL, e.g. https://127.0.0.1:8443. */
  async listen(options: { host: string; port: number }): Promise<string> {
    await listenOrExplain(() => this.app.listen({ host: options.host, port: options.port }), { ...options, flag: 'listen', error: kitError });
    this.#ready = true;
    return this.url();
  }

  url(): string {
    return serverUrl(this.app.server, 'https');
  }

  setTls(tls: TlsMaterial): void {
    this.app.server.setSecureContext({ key: tls.key, cert: tls.cert, ca: tls.clientCa });
  }

  async close(): Promise<void> {
    this.#ready = false;
    await this.app.close();
  }

  #onError(error: FastifyError | FunctionsError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (error instanceof FunctionsError) {
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
