/** Helpers for this package's tests (not built). */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { onTestFinished } from 'vitest';
import { kitErrors, ServiceError } from './errors.js';
import { serverUrl } from './listen.js';
import { createServiceLogger, type Logger } from './logger.js';
import { collectLines, type Pem } from './testing.js';

/** What a package's error registry would be: its class, and its ErrorFactory under the codes TEST_*. */
export class TestError extends ServiceError {
  static override readonly brand = Symbol.for('cnpaas.service-kit.test.TestError');
  readonly httpStatus: number | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
  }
}

export const testError = kitErrors('TEST_', TestError);

/** The TestError `fn` throws or rejects with. */
export async function caught(fn: () => unknown): Promise<TestError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TestError) return err;
    throw err;
  }
  throw new Error('expected a TestError');
}

/** A fastify app as the packages build theirs (a pino logger), on loopback over plain HTTP, logging to lines the test reads. */
export type TestApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

export interface LoopbackApp {
  url: string;
  lines: string[];
}

/** Closed when the test that made it ends. */
export async function loopbackApp(
  setup: (app: TestApp) => void,
  options: { bodyLimit?: number } = {},
): Promise<LoopbackApp> {
  const { destination, lines } = collectLines();
  const app: TestApp = Fastify({
    loggerInstance: createServiceLogger({ component: 'cnpaas-test', level: 'trace', destination }),
    ...options,
  });
  setup(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  onTestFinished(() => app.close());
  return { url: serverUrl(app.server, 'http'), lines };
}

export interface HttpsReply {
  status: number;
  text: string;
  peerCertificate: X509Certificate | undefined;
}

/** A GET over TLS trusting `ca`, with a client certificate or none; a new connection each time. */
export function httpsGet(
  url: string,
  options: { ca: string; client?: Pem | undefined; headers?: Record<string, string | string[]> },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const tls = { ca: options.ca, ...(options.client ?? {}), agent: false as const };
    const req = https.request(url, { ...tls, headers: options.headers ?? {} }, (res) => {
      const peerCertificate = (res.socket as TLSSocket).getPeerX509Certificate();
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, peerCertificate }));
    });
    req.on('error', reject);
    req.end();
  });
}
