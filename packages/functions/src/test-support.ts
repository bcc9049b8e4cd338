/** Helpers shared by the tests (not built, not exported from the package). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generate } from 'selfsigned';
import type { EmailObject } from './email-resource.js';
import type { SmtpSettings } from './email/smtp-settings.js';
import { createLogger, type Logger } from './logger.js';
import { SmtpSink, type SinkFaults } from './mail/smtp-sink.js';

export const SMTP_USER = 'cnpaas-test';
export const SMTP_PASSWORD = 'Smtp-Pa55word-Never-Logged';
export const SECRET_BODY = 'Welcome! Your one-time code is SECRET-BODY-7731.';

/** A logger whose JSON lines are kept for the test to read. */
export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}

export interface TestSink {
  sink: SmtpSink;
  dir: string;
  port: number;
  settings: SmtpSettings;
  close(): Promise<void>;
}

/** A real SMTP sink on loopback in a temp mail dir, with AUTH, and matching client settings. */
export async function startSink(options: { faults?: SinkFaults; log?: Logger } = {}): Promise<TestSink> {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-functions-mail-'));
  const sink = new SmtpSink({ mailDir: dir, auth: { user: SMTP_USER, password: SMTP_PASSWORD }, ...options });
  const { port } = await sink.listen({ host: '127.0.0.1', port: 0 });
  return {
    sink,
    dir,
    port,
    settings: { host: '127.0.0.1', port, tls: 'none', auth: { user: SMTP_USER, pass: SMTP_PASSWORD }, ca: undefined, connectionTimeoutMs: 2_000, socketTimeoutMs: 5_000 },
    close: async () => {
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** An Email as the operator creates it (spec per harikube.md §2.2). */
export function emailObject(overrides: { name?: string; namespace?: string; uid?: string; spec?: Partial<EmailObject['spec']> } = {}): EmailObject {
  counter++;
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'Email',
    metadata: {
      name: overrides.name ?? `user-${counter}-welcome`,
      namespace: overrides.namespace ?? 't-0123456789ab',
      uid: overrides.uid ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      generation: 1,
    },
    spec: {
      toAddress: `ada.${counter}@example.com`,
      fromName: 'Webshop',
      fromAddress: 'noreply@webshop.example',
      subject: `Welcome #${counter}`,
      body: SECRET_BODY,
      ...overrides.spec,
    },
  };
}

export interface TestPki {
  ca: { cert: string; key: string };
  server: { cert: string; key: string };
  trigger: { cert: string; key: string };
  otherClient: { cert: string; key: string };
  strangerClient: { cert: string; key: string };
}

async function caCert(cn: string): Promise<{ cert: string; key: string }> {
  const ca = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

async function leaf(options: { cn: string; ca: { cert: string; key: string }; server: boolean }): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: options.cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: options.ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      options.server ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(options.server ? [{ name: 'subjectAltName' as const, altNames: [{ type: 2 as const, value: 'localhost' }, { type: 7 as const, ip: '127.0.0.1' }] }] : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export async function testPki(): Promise<TestPki> {
  const ca = await caCert('cnpaas-test-ca');
  const stranger = await caCert('some-other-ca');
  return {
    ca,
    server: await leaf({ cn: 'cnpaas-email-function', ca, server: true }),
    trigger: await leaf({ cn: 'cnpaas-trigger', ca, server: false }),
    otherClient: await leaf({ cn: 'someone-else', ca, server: false }),
    strangerClient: await leaf({ cn: 'cnpaas-trigger', ca: stranger, server: false }),
  };
}
