/**
 * One HTTP(S) attempt of a delivery, and what it means for retrying:
 *
 * | answer | result |
 * |---|---|
 * | 2xx | delivered |
 * | 408, 425, 429, 5xx; connection/TLS error; timeout | retry (honouring Retry-After) |
 * | anything else (4xx, 3xx: redirects are not followed) | permanent: retrying the same request cannot help |
 *
 * The trigger presents no certificate of its own: its cluster identity (the
 * one kube-apiserver trusts) never leaves for a target. A client
 * certificate goes out only when the HTTPTrigger names one (a Secret in its
 * own namespace, spec.tls.clientSecretRef), and it checks the target against
 * the trigger's CA bundle (or the system roots). Before connecting, the
 * target is checked against the TargetPolicy (loopback, link-local, the
 * apiserver; target-policy.ts): a refused target is a permanent failure and
 * no connection is opened. The response body is read (to reuse the
 * connection) and dropped, never logged: a target may echo the payload.
 */
import https from 'node:https';
import { FunctionsError, errorMessage } from '../errors.js';
import type { AttemptResult } from './delivery-queue.js';
import { guardedLookup, refusedTarget, targetRefused, type TargetPolicy } from './target-policy.js';

/** How one trigger talks TLS to its target; all PEM. */
export interface DeliveryTls {
  /** CA bundle for the target's certificate; undefined: Node's default roots. */
  ca?: string | Buffer;
  /** The HTTPTrigger's own client certificate (spec.tls.clientSecretRef), if it names one. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HttpDelivererOptions {
  /** Which targets may be called. */
  targets: TargetPolicy;
  /** Read at each attempt, so a rotated Secret takes effect (a new object, new connections). */
  tls?: () => DeliveryTls | undefined;
  /** Sockets per target; the trigger's concurrency. */
  maxSockets?: number;
  userAgent?: string;
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Bytes of an answer read before the rest is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyStatus(status: number, retryAfter?: string): AttemptResult {
  if (status >= 200 && status < 300) return { result: 'delivered', status };
  const reason = `HTTP ${status}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return retryAfterMs === undefined
      ? { result: 'retry', reason, status }
      : { result: 'retry', reason, status, retryAfterMs };
  }
  return {
    result: 'permanent',
    reason: status >= 300 && status < 400 ? `${reason} (redirects are not followed)` : reason,
    status,
  };
}

export class HttpDeliverer {
  readonly #options: HttpDelivererOptions;
  #agent: https.Agent | undefined;
  #agentTls: DeliveryTls | undefined;

  constructor(options: HttpDelivererOptions) {
    this.#options = options;
  }

  async send(request: HttpRequest): Promise<AttemptResult> {
    const target = new URL(request.url);
    const refused = refusedTarget(target, this.#options.targets);
    if (refused) return { result: 'permanent', reason: `refused: ${targetRefused(refused).message}` };
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const payload = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string | number> = {
      ...request.headers,
      'user-agent': this.#options.userAgent ?? 'cnpaas-trigger',
      ...(payload ? { 'content-length': payload.length } : {}),
    };
    try {
      return await new Promise<AttemptResult>((resolve, reject) => {
        const req = https.request(
          request.url,
          {
            method: request.method,
            headers,
            agent: this.#agentFor(),
            signal,
            lookup: guardedLookup(this.#options.targets, target),
          },
          (res) => {
            let read = 0;
            res.on('data', (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_ANSWER_BYTES) res.destroy();
            });
            const done = (): void => {
              // A string: Node keeps only the first of repeated Retry-After headers.
              resolve(classifyStatus(res.statusCode ?? 0, res.headers['retry-after']));
            };
            res.on('end', done);
            res.on('close', done);
            res.on('error', () => done());
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    } catch (err) {
      if (timeout.aborted) return { result: 'retry', reason: `no answer within ${request.timeoutMs} ms` };
      if (request.signal?.aborted) return { result: 'retry', reason: 'stopped' };
      // Resolved to a refused address: retrying the same name would only be refused again.
      if (err instanceof FunctionsError && err.code === 'CNPAAS_FUNCTIONS_TARGET_REFUSED')
        return { result: 'permanent', reason: `refused: ${err.message}` };
      const code = (err as { code?: string }).code;
      return { result: 'retry', reason: code ? `${code}: ${errorMessage(err)}` : errorMessage(err) };
    }
  }

  /** Closes idle connections; the next send opens new ones. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  #agentFor(): https.Agent {
    const tls = this.#options.tls?.();
    if (!this.#agent || tls !== this.#agentTls) {
      this.#agent?.destroy();
      this.#agentTls = tls;
      this.#agent = new https.Agent({
        keepAlive: true,
        maxSockets: this.#options.maxSockets ?? 8,
        minVersion: 'TLSv1.2',
        ...(tls?.ca ? { ca: tls.ca } : {}),
        ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      });
    }
    return this.#agent;
  }
}
