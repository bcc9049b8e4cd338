/**
 * Helpers for the webshop suites (webshop-registration, webshop-crash): RegistrationRequest bodies,
 * kubectl runs that may fail on purpose, bounded waits, independent oracles
 * (argon2id and scrypt verify, claim digests) and byte-level reads of the state dir and
 * the store's SQLite files.
 */
import { spawn } from 'node:child_process';
import { argon2, createHash, scrypt, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { keysContaining } from '@cnpaas/storage-shim/inspect';
import { runKubectl, type KubectlResult } from '../../src/kubectl.js';
import type { TestStack } from './stack.js';

export const GROUP = 'webshop.cnpaas.dev';
export const RR_PATH = `/apis/${GROUP}/v1/registrationrequests`;
/** The aggregated registrations API (201 once the operator has finished). */
export const REGISTRATIONS_PATH = '/apis/api.webshop.cnpaas.dev/v1/registrations';
export const REGISTRATION_UID_LABEL = `${GROUP}/registration-uid`;
export const CLAIM_LABEL = `${GROUP}/email-claim`;
export const SYSTEM_NAMESPACE = 'cnpaas-system';

export interface RegistrationSpec {
  user: Record<string, unknown>;
  password: unknown;
  tenant: Record<string, unknown>;
}

export interface RegistrationRequest {
  apiVersion: string;
  kind: 'RegistrationRequest';
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** A valid registration; `edit` changes the spec (delete a key to leave a field out). */
export function registration(
  name: string,
  opts: { email: string; password: string; edit?: (spec: RegistrationSpec) => void },
): RegistrationRequest {
  const spec: RegistrationSpec = {
    user: { firstName: 'Ann', lastName: 'Smith', email: opts.email, phoneNumber: '+4930123456' },
    password: opts.password,
    tenant: { country: 'DE', city: 'Berlin', address: 'Main Street 1', postalCode: '10115' },
  };
  opts.edit?.(spec);
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'RegistrationRequest',
    metadata: { name },
    spec: spec as unknown as Record<string, unknown>,
  };
}

export type KubectlRun = KubectlResult;

/** kubectl with the stack's kubeconfig, resolving with the exit code instead of throwing. */
export function kubectlRun(stack: TestStack, args: string[], input = '', timeoutMs = 60_000): Promise<KubectlRun> {
  return runKubectl({
    kubectl: stack.result.kubectl ?? 'kubectl',
    kubeconfig: stack.result.kubeconfig,
    args,
    input,
    timeoutMs,
  });
}

/** The trim-and-lower-case normal form (docs/design.md "The registration flow", step 3). */
export function normalise(email: string): string {
  return email.trim().toLowerCase();
}

/** sha256 of the normalised address, as a claim's `data.emailSha256` holds it (computed here, not imported). */
export function emailDigest(email: string): string {
  return createHash('sha256').update(normalise(email), 'utf8').digest('hex');
}

/**
 * Verifies `password` against an `$argon2id$v=19$m=..,t=..,p=..$salt$key` or a
 * `$scrypt$ln=..,r=..,p=..$salt$key` PHC string with node:crypto directly: an
 * oracle independent of the webhooks' hasher.
 */
export async function passwordMatches(password: string, phc: string): Promise<boolean> {
  const a = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (a) {
    const expected = Buffer.from(a[5]!, 'base64');
    const key = await new Promise<Buffer>((resolve, reject) =>
      argon2(
        'argon2id',
        {
          message: password.normalize('NFKC'),
          nonce: Buffer.from(a[4]!, 'base64'),
          memory: Number(a[1]),
          passes: Number(a[2]),
          parallelism: Number(a[3]),
          tagLength: expected.length,
        },
        (err, k) => (err ? reject(err) : resolve(k)),
      ),
    );
    return timingSafeEqual(key, expected);
  }
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      expected.length,
      { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r },
      (err, k) => (err ? reject(err) : resolve(k)),
    ),
  );
  return timingSafeEqual(key, expected);
}

/** Where a key fragment occurs across the demo topology's files: `file:table` → matching keys. */
export function whereKeys(dataDir: string, needle: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of ['main.db', 'tenants.db', 'users.db', 'emails.db']) {
    for (const table of ['kv', 'history'] as const) {
      const keys = keysContaining(dataDir, file, table, needle);
      if (keys.length > 0) out[`${file}:${table}`] = keys;
    }
  }
  return out;
}

/** Every regular file under `dir`, recursively (sockets and the like skipped). */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export interface ByteScan {
  files: number;
  bytes: number;
  /** needle → files whose bytes contain it. */
  hits: Map<string, string[]>;
}

/**
 * Searches the raw bytes of every file under `dir` for each needle, in UTF-8
 * and in the JSON-escaped form a log line or a stored object would use.
 */
export function scanBytes(dir: string, needles: readonly string[]): ByteScan {
  const forms = needles.map((n) => ({
    needle: n,
    forms: [...new Set([n, JSON.stringify(n).slice(1, -1)])].map((f) => Buffer.from(f, 'utf8')),
  }));
  const hits = new Map<string, string[]>();
  let bytes = 0;
  const files = allFiles(dir);
  for (const file of files) {
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      continue; // removed while scanning (a WAL checkpoint)
    }
    bytes += statSync(file, { throwIfNoEntry: false })?.size ?? content.length;
    for (const { needle, forms: fs } of forms) {
      if (fs.some((f) => content.includes(f)))
        hits.set(needle, [...(hits.get(needle) ?? []), path.relative(dir, file)]);
    }
  }
  return { files: files.length, bytes, hits };
}

interface Conditioned {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

export function condition(
  obj: Conditioned,
  type: string,
): { status: string; reason?: string; message?: string } | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The one controller ownerReference of an object, as `Kind/name/uid`, or undefined. */
export function controllerOf(obj: { metadata?: { ownerReferences?: OwnerRef[] } }): string | undefined {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.controller);
  return refs.length === 1
    ? `${refs[0]!.kind}/${refs[0]!.name}/${refs[0]!.uid}`
    : refs.length === 0
      ? undefined
      : `several: ${JSON.stringify(refs)}`;
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** A raw watch on RegistrationRequests from `resourceVersion` (kubectl get --raw), collecting every event. */
export function watchRegistrations(stack: TestStack, resourceVersion: string): { events: WatchEvent[]; stop(): void } {
  const child = spawn(stack.result.kubectl ?? 'kubectl', [
    '--kubeconfig',
    stack.result.kubeconfig,
    'get',
    '--raw',
    `${RR_PATH}?watch=1&resourceVersion=${resourceVersion}`,
  ]);
  const events: WatchEvent[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
    }
  });
  return { events, stop: () => void child.kill() };
}
