/**
 * The benchmark's HTTPS client for kube-apiserver: the admin client
 * certificate, a keep-alive agent with one socket per worker, and the body
 * returned raw, so a LIST is timed to its last byte and the client's
 * JSON.parse of megabytes is not counted against the server.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { ClusterPki } from '../src/cluster-pki.js';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export class BenchHttp {
  private readonly agent: https.Agent;

  constructor(
    private readonly server: string,
    pki: ClusterPki,
    sockets: number,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: sockets,
      ca: readFileSync(pki.ca.files.cert),
      cert: readFileSync(pki.admin.cert),
      key: readFileSync(pki.admin.key),
    });
  }

  /** Resolves with any HTTP status; rejects on network errors and after timeoutMs. */
  request(method: string, urlPath: string, body?: unknown, timeoutMs = 30_000): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.server}${urlPath}`, {
        method,
        agent: this.agent,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Same, with the body parsed; throws unless the status is 2xx. */
  async json(method: string, urlPath: string, body?: unknown, timeoutMs?: number): Promise<any> {
    const res = await this.request(method, urlPath, body, timeoutMs);
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  close(): void {
    this.agent.destroy();
  }
}
