/** Helpers shared by the tests (not built, not exported from the package). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectLines,
  testCa,
  testLeaf,
  testPki as kitTestPki,
  type Pem,
  type TestPki as KitTestPki,
} from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll } from 'vitest';
import { EmailDelivery, type EmailDeliveryOptions } from './claim/exactly-once.js';
import { MemoryEmailStatusStore } from './claim/memory-status-store.js';
import type { EmailObject } from './email-resource.js';
import { EmailSender, type EmailSenderOptions } from './email/sender.js';
import type { SmtpSettings } from './email/smtp-settings.js';
import { EmailFunctionServer } from './function/server.js';
import { createLogger, type Logger } from './logger.js';
import { messageIdFor } from './email/message.js';
import { listMail, type StoredMail } from './mail/mail-store.js';
import { SmtpSink, type SinkFaults } from './mail/smtp-sink.js';

export const SMTP_USER = 'cnpaas-test';
export const SMTP_PASSWORD = 'Smtp-Pa55word-Never-Logged';
export const SECRET_BODY = 'Welcome! Your one-time code is SECRET-BODY-7731.';

/** A logger whose JSON lines are kept for the test to read. */
export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const { destination, lines } = collectLines();
  return { log: createLogger({ level, destination }), lines };
}

export interface TestSink {
  sink: SmtpSink;
  dir: string;
  port: number;
  /** The CA that signed the sink's STARTTLS certificate (127.0.0.1, localhost). */
  ca: string;
  settings: SmtpSettings;
  /** The mails the sink holds for this Email: those with the Message-ID its delivery derives from the UID. */
  mailFor(email: EmailObject): Promise<StoredMail[]>;
  close(): Promise<void>;
}

let sinkPki: Promise<{ ca: Pem; server: Pem }> | undefined;

/** One CA and serving certificate for every sink of a test file (key generation is the slow part). */
export function smtpSinkPki(): Promise<{ ca: Pem; server: Pem }> {
  sinkPki ??= testCa('cnpaas-test-smtp-ca').then(async (ca) => ({
    ca,
    server: await testLeaf({ commonName: 'cnpaas-smtp', ca, usage: 'server' }),
  }));
  return sinkPki;
}

/** A real SMTP sink on loopback in a temp mail dir, with STARTTLS and AUTH, and client settings that require STARTTLS and trust its CA. */
export async function startSink(options: { faults?: SinkFaults; log?: Logger } = {}): Promise<TestSink> {
  const { ca, server } = await smtpSinkPki();
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-functions-mail-'));
  const sink = new SmtpSink({
    mailDir: dir,
    auth: { user: SMTP_USER, password: SMTP_PASSWORD },
    tls: server,
    ...options,
  });
  const { port } = await sink.listen({ host: '127.0.0.1', port: 0 });
  return {
    sink,
    dir,
    port,
    ca: ca.cert,
    settings: {
      host: '127.0.0.1',
      port,
      tls: 'starttls',
      auth: { user: SMTP_USER, pass: SMTP_PASSWORD },
      ca: Buffer.from(ca.cert),
      connectionTimeoutMs: 2_000,
      socketTimeoutMs: 5_000,
    },
    mailFor: async (email) => (await listMail(dir)).filter((m) => m.messageId === messageIdFor(email.metadata.uid)),
    close: async () => {
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EmailFunctionFixture {
  url: string;
  /** The function's PKI: it serves `server`, and of the clients `ca` signed it lets in only `trigger`. */
  pki: TestPki;
  sink: TestSink;
  /** The Emails and their delivery status, as the function's apiserver would hold them: a test puts its Emails here. */
  store: MemoryEmailStatusStore;
  /** The function's logger at trace, and its lines, so a test can check what was (not) logged. */
  log: Logger;
  lines: string[];
  /** Stops the server, then the sink. */
  close(): Promise<void>;
}

export interface EmailFunctionFixtureOptions {
  faults?: SinkFaults;
  sender?: Pick<EmailSenderOptions, 'backoff' | 'deadlineMs'>;
  delivery?: Pick<EmailDeliveryOptions, 'retryAfterMs'>;
  bodyLimit?: number;
}

/**
 * The email function as `cnpaas up` runs it, on a loopback port: a real SMTP
 * sink, the sender and the exactly-once delivery over an in-memory store
 * (`store`), and the mTLS server that takes only cnpaas-trigger's client
 * certificate, from a PKI of its own; everything logs at trace into `lines`.
 */
async function startEmailFunction(options: EmailFunctionFixtureOptions): Promise<EmailFunctionFixture> {
  const pki = await testPki();
  const store = new MemoryEmailStatusStore();
  const { log, lines } = capturingLogger('trace');
  const sink = await startSink(options.faults ? { faults: options.faults } : {});
  const sender = new EmailSender({ settings: sink.settings, log, ...options.sender });
  const delivery = new EmailDelivery({ store, sender, log, claimLeaseMs: 5_000, ...options.delivery });
  const server = new EmailFunctionServer({
    tls: { key: pki.server.key, cert: pki.server.cert, clientCa: pki.ca.cert },
    allowedClientNames: ['cnpaas-trigger'],
    delivery,
    log,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    pki,
    sink,
    store,
    log,
    lines,
    close: async () => {
      await server.close();
      await sink.close();
    },
  };
}

/**
 * The email function of the tests of the file (or describe) that calls this,
 * started in a beforeAll and closed in an afterAll. That beforeAll fills the
 * object in: read it inside a hook or a test.
 */
export function useEmailFunction(options: EmailFunctionFixtureOptions = {}): EmailFunctionFixture {
  const fixture = {} as EmailFunctionFixture;
  beforeAll(async () => {
    Object.assign(fixture, await startEmailFunction(options));
  });
  // A beforeAll that failed left nothing to close.
  afterAll(async () => {
    if ('close' in fixture) await fixture.close();
  });
  return fixture;
}

let counter = 0;

/** An Email as the operator creates it (spec as in the original demo). */
export function emailObject(
  overrides: { name?: string; namespace?: string; uid?: string; spec?: Partial<EmailObject['spec']> } = {},
): EmailObject {
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

export interface TestPki extends KitTestPki {
  /** Signed by `ca`, CN cnpaas-trigger: the client the function lets in. */
  trigger: Pem;
}

export async function testPki(): Promise<TestPki> {
  const pki = await kitTestPki({ server: 'cnpaas-email-function', client: 'cnpaas-trigger' });
  return { ...pki, trigger: pki.client };
}
