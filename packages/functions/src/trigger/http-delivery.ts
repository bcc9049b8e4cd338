/**
 * One HTTP(S) attempt of a delivery, and what it means for retrying:
 *
 * | answer | result |
 * |---|---|
 * | 2xx | delivered |
 * | 408, 425, 429, 5xx; connection/TLS error; timeout | retry (honouring Retry-After) |
 * | anything else (4xx, 3xx: redirects are not followed) | permanent: retrying the same request cannot help |
 *
 * The trigger authenticates with its client certificate (mTLS) and checks
 * the target against the trigger's CA bundle (or the system roots). The
 * response body is read (to reuse the connection) and dropped, never logged:
 * a target may echo the payload.
 */
import https from 'node:https';
import { errorMessage } from '../errors.js';
import type { AttemptResult } from './delivery-queue.js';

export interface ClientIdentity {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface HttpDelivererOptions {
  /** PEM CA bundle for the target; undefined: Node's default roots. */
  ca?: string | Buffer;
  /** The client certificate to present, read at each attempt so a reload takes effect. */
  identity?: () => ClientIdentity | undefined;
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
    return retryAfterMs === undefined ? { result: 'retry', reason, status } : { result: 'retry', reason, status, retryAfterMs };
  }
  return { result: 'permanent', reason: status >= 300 && status < 400 ? `${reason} (redirects are not followed)` : reason, status };
}

export class HttpDeliverer {
  readonly #options: HttpDelivererOptions;
  #agent: https.Agent | undefined;
  #agentIdentity: ClientIdentity | undefined;

  constructor(options: HttpDelivererOptions = {}) {
    this.#options = options;
  }

  async send(request: HttpRequest): Promise<AttemptResult> {
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
        const req = https.request(request.url, { method: request.method, headers, agent: this.#agentFor(), signal }, (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) res.destroy();
          });
          const done = (): void => {
            const retryAfter = res.headers['retry-after'];
            resolve(classifyStatus(res.statusCode ?? 0, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter));
          };
          res.on('end', done);
          res.on('close', done);
          res.on('error', () => done());
        });
        req.on('error', reject);
        req.end(payload);
      });
    } catch (err) {
      if (timeout.aborted) return { result: 'retry', reason: `no answer within ${request.timeoutMs} ms` };
      if (request.signal?.aborted) return { result: 'retry', reason: 'stopped' };
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
    const identity = this.#options.identity?.();
    if (!this.#agent || identity !== this.#agentIdentity) {
      this.#agent?.destroy();
      this.#agentIdentity = identity;
      this.#agent = new https.Agent({
        keepAlive: true,
        maxSockets: this.#options.maxSockets ?? 8,
        minVersion: 'TLSv1.2',
        ...(this.#options.ca ? { ca: this.#options.ca } : {}),
        ...(identity ? { cert: identity.cert, key: identity.key } : {}),
      });
    }
    return this.#agent;
  }
}
