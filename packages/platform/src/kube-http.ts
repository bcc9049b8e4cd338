/**
 * A small HTTPS client for kube-apiserver. Tests, the e2e demo and the
 * benchmarks use it where kubectl (one process per call) is too slow, and
 * where a request must be made as someone else: a client certificate from
 * the state dir's PKI (the admin's by default) or a bearer token (what a
 * tenant's ServiceAccount can do).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

export interface KubeResponse {
  status: number;
  /** Parsed JSON; the text itself when the body is not JSON (/metrics, /healthz). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- its callers (the live tests, the benchmark) read fields ad hoc and assert on them
  body: any;
}

export interface RawResponse {
  status: number;
  body: Buffer;
}

export interface KubeHttpOptions {
  /** https://host:port of kube-apiserver. */
  server: string;
  /** The CA that signed the apiserver's serving certificate (PEM file). */
  caFile: string;
  /** A client certificate and key (PEM files)… */
  client?: { certFile: string; keyFile: string };
  /** …or a bearer token. */
  token?: string;
  /** Sockets kept open; default 64 (enough for the load tests' concurrency). */
  maxSockets?: number;
  /** For requests that name none; default 15 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** An object is sent as JSON (a merge patch for PATCH); a string as it is. */
  body?: unknown;
  /** Default the client's (15 s unless it was made with another). */
  timeoutMs?: number;
}

export class KubeHttp {
  readonly #server: string;
  readonly #agent: https.Agent;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  /** As the identity whose certificate `cnpaas up` wrote to `<pkiDir>/<identity>.crt` (default the admin). */
  static fromPki(server: string, pkiDir: string, identity = 'admin'): KubeHttp {
    const file = (name: string) => path.join(pkiDir, name);
    return new KubeHttp({
      server,
      caFile: file('ca.crt'),
      client: { certFile: file(`${identity}.crt`), keyFile: file(`${identity}.key`) },
    });
  }

  constructor(options: KubeHttpOptions) {
    this.#server = options.server;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 64,
      ca: readFileSync(options.caFile),
      ...(options.client
        ? { cert: readFileSync(options.client.certFile), key: readFileSync(options.client.keyFile) }
        : {}),
    });
  }

  /** Resolves with any HTTP status; rejects only on network errors and timeouts. */
  async request(method: string, urlPath: string, options: RequestOptions = {}): Promise<KubeResponse> {
    const res = await this.raw(method, urlPath, options);
    const text = res.body.toString('utf8');
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, body: text };
    }
  }

  /** The body as bytes: a benchmark times a LIST to its last byte without the client's JSON.parse. */
  raw(method: string, urlPath: string, options: RequestOptions = {}): Promise<RawResponse> {
    const { body, timeoutMs = this.#timeoutMs } = options;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.#server}${urlPath}`,
        {
          method,
          agent: this.#agent,
          timeout: timeoutMs,
          headers: {
            accept: 'application/json',
            ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
            ...(payload
              ? {
                  'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
