/**
 * A small HTTPS client for kube-apiserver with a client certificate from the
 * state dir's PKI (the admin's by default). Tests, the e2e demo and the
 * benchmark use it where kubectl (one process per call) is too slow.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

export interface KubeResponse {
  status: number;
  body: any;
}

export class KubeHttp {
  private readonly agent: https.Agent;

  constructor(
    private readonly server: string,
    pkiDir: string,
    /** File stem of the client certificate in pkiDir. */
    identity = 'admin',
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: readFileSync(path.join(pkiDir, 'ca.crt')),
      cert: readFileSync(path.join(pkiDir, `${identity}.crt`)),
      key: readFileSync(path.join(pkiDir, `${identity}.key`)),
    });
  }

  /** Resolves with any HTTP status; rejects only on network errors and timeouts. */
  request(method: string, urlPath: string, body?: unknown, timeoutMs = 15_000): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.server}${urlPath}`, {
        method,
        agent: this.agent,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // metrics and health answer plain text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
