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
 * does towards the webhooks. Under cnpaas up it comes from a delivery CA of
 * its own, which kube-apiserver does not trust, and the HTTPTrigger presents
 * it because it names it (spec.tls.clientSecretRef); the trigger never
 * presents its cluster identity to a target. The TLS
 * handshake asks for but does not require a certificate, so /healthz,
 * /livez, /readyz and /metrics stay reachable without one; POST checks it.
 *
 * Bodies are never logged; a body that is not JSON gets a fixed message
 * (V8's JSON.parse errors quote the text, which may be the Email's body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import {
  MtlsJsonService,
  clientCertificateCheck,
  type MtlsJsonServerKind,
  type MtlsJsonServerOptions,
  type MtlsFiles,
} from '@cnpaas/service-kit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DeliveryOutcome, EmailDelivery } from '../claim/exactly-once.js';
import { FunctionsError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseEmailEvent } from './event.js';
import { FunctionMetrics } from './metrics.js';

/** An Email is a few KiB; the spec body is capped at 256 KiB (email-resource.ts). */
export const DEFAULT_BODY_LIMIT = 512 * 1024;
/** Retry-After when the Kubernetes API could not be reached. */
const STORE_RETRY_AFTER_S = 5;

/** The serving certificate, its key and the CA that signs the callers' client certificates (required). */
export type TlsMaterial = MtlsFiles;

export interface EmailFunctionServerOptions extends MtlsJsonServerOptions<Logger, FunctionMetrics> {
  tls: TlsMaterial;
  /** CNs allowed to POST; empty: any certificate the client CA signed. */
  allowedClientNames?: readonly string[];
  delivery: Pick<EmailDelivery, 'deliver'>;
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

type App = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, Logger>;

/** Health routes, listen, url, setTls, close, JSON bodies and errors: the kit's MtlsJsonService. */
export class EmailFunctionServer extends MtlsJsonService<App, Logger, FunctionMetrics> {
  constructor(options: EmailFunctionServerOptions) {
    super(options, SERVER_KIND);

    // A refusal reaches the error handler, which counts it in rejectedRequests.
    const onRequest = clientCertificateCheck({
      allowedNames: options.allowedClientNames ?? [],
      signer: "the function's client CA",
      action: 'call the function',
      hint: "name the delivery certificate cnpaas up issued in the HTTPTrigger's spec.tls.clientSecretRef (Secret email-trigger-delivery)",
      error: FunctionsError.kit,
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
      if (outcome.outcome === 'retry-later')
        reply.header('retry-after', String(Math.ceil(outcome.retryAfterMs / 1000)));
      request.log.info({ ...where, outcome: outcome.outcome, code: status }, 'delivery');
      return this.#answer(reply, { ...outcome, namespace: event.ref.namespace, name: event.ref.name }, status, started);
    };
    this.app.post('/', { onRequest }, handler);
    this.app.post('/email', { onRequest }, handler);
  }

  #answer(
    reply: FastifyReply,
    body: Record<string, unknown> & { outcome: string },
    status: number,
    started: number,
  ): FastifyReply {
    this.metrics.deliveries.inc({ outcome: body.outcome, code: String(status) });
    this.metrics.duration.observe({ outcome: body.outcome }, (performance.now() - started) / 1000);
    // A permanent SMTP error text can quote the recipient; it is in the Email's status, not in the answer.
    const { message: _message, ...rest } = body;
    return reply.code(status).send(body.outcome === 'failed' ? rest : body);
  }
}

/** How the kit's base builds this server: fastify, its metrics and body limit, its errors. */
const SERVER_KIND: MtlsJsonServerKind<App, Logger, FunctionMetrics> = {
  fastify: (options) => Fastify(options),
  metrics: () => new FunctionMetrics(),
  bodyLimit: DEFAULT_BODY_LIMIT,
  errors: FunctionsError,
};
