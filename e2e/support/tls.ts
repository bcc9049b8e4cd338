/**
 * A one-shot HTTPS request with an explicit client identity (or none), for
 * the security suite: straight to a component's port, or to kube-apiserver
 * as a user other than the admin. No connection reuse, so every request
 * makes its own TLS handshake with the identity it names.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { KeyPairFiles } from '@cnpaas/platform';

export interface TlsResponse {
  status: number;
  body: any;
}

export interface TlsRequestOptions {
  method?: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string | Buffer;
  /** The client certificate to present; none when absent. */
  identity?: KeyPairFiles;
  headers?: Record<string, string | string[]>;
  body?: unknown;
  timeoutMs?: number;
}

export function tlsRequest(url: string, options: TlsRequestOptions): Promise<TlsResponse> {
  const method = options.method ?? 'GET';
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        agent: false,
        ca: options.ca,
        ...(options.identity
          ? { cert: readFileSync(options.identity.cert), key: readFileSync(options.identity.key) }
          : {}),
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
