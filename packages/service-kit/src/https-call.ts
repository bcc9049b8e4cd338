import type { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsCallOptions {
  /** GET without a body, POST with one, unless given. */
  method?: string;
  body?: string | Buffer;
  /** The body's content-type; no header when unset. */
  contentType?: string;
  headers?: Record<string, string | string[]>;
  /** The CA to verify the server with. */
  ca: string;
  /** The client certificate to present; none when unset. */
  client?: { cert: string; key: string } | undefined;
  /** The name the server's certificate must carry, when it is not the URL's host. */
  servername?: string;
}

export interface HttpsReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of the answer ad hoc and assert on them
  json: any;
  /** The certificate the server presented on this connection. */
  peerCertificate?: X509Certificate;
}

/** One HTTPS request on a connection of its own (no agent), read to the end. */
export function httpsCall(url: string, options: HttpsCallOptions): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.body !== undefined && options.contentType !== undefined) headers['content-type'] = options.contentType;
    const req = https.request(
      url,
      {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: options.ca,
        ...(options.servername ? { servername: options.servername } : {}),
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peerCertificate = (res.socket as TLSSocket).getPeerX509Certificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ...(peerCertificate ? { peerCertificate } : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
