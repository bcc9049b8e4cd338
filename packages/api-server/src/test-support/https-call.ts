/** One HTTPS request to a test server, the way the aggregator makes it (verifying the service DNS name). */
import https from 'node:https';
import { SERVICE_DNS_NAME } from '../api-group.js';
import type { Pem } from './pki.js';

export interface CallOptions {
  method?: string;
  body?: string | Buffer;
  contentType?: string;
  /** The client certificate to present; none when unset. */
  client?: Pem | undefined;
  headers?: Record<string, string | string[]>;
  /** The CA to verify the server with (the APIService caBundle). */
  ca: string;
  /** Default cnpaas-api.cnpaas-system.svc: what the aggregator checks. */
  servername?: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The JSON body, or undefined when it is not JSON. */
  json: any;
}

export function call(baseUrl: string, path: string, options: CallOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.body !== undefined && options.contentType !== undefined) headers['content-type'] = options.contentType;
    const req = https.request(
      `${baseUrl}${path}`,
      {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: options.ca,
        servername: options.servername ?? SERVICE_DNS_NAME,
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
