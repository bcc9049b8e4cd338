/**
 * The connection to kube-apiserver: one keep-alive agent per kubeconfig
 * identity, shared by every client made from it, so a request reuses an open
 * TLS connection (or resumes a TLS session) instead of paying a handshake.
 *
 * `KubeConfig.applyToHTTPSOptions` (client-node 1.4.0) reads the CA, the
 * client certificate and the key from disk and builds a new, non-keep-alive
 * `https.Agent` on every call; used per request, that is a file read and a
 * full TLS handshake per request. Here it runs once per agent, for the TLS
 * material, and the agent is cached under the cluster's server and the
 * credential files (or a digest of inline data). Credentials that can change
 * per request (tokens, exec plugins, auth providers) are applied per request
 * by client-node's own authenticators.
 *
 * Certificates get rotated on disk (a renewed client certificate, a new CA):
 * at most once a second a request stats the files the agent was built from,
 * and when one changed (mtime, size or inode) the next request builds a new
 * agent. The old one finishes its requests in flight (watches included) and
 * then closes its sockets instead of keeping them.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, type Clock } from './clock.js';
import { KubeError } from './errors.js';

/** How often the credential files are stat'ed for a rotation, at most. */
export const CREDENTIAL_CHECK_INTERVAL_MS = 1_000;

export interface TransportRequest {
  method: string;
  /** Path below the server URL, e.g. `/api/v1/namespaces`. */
  path: string;
  /** Empty strings and undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  headers?: Record<string, string | number> | undefined;
  body?: Buffer | string | undefined;
  signal?: AbortSignal | undefined;
  /** Socket idle timeout: the request fails when nothing arrives for this long. */
  idleTimeoutMs: number;
  /** When to look at the credential files again (tests pass a FakeClock). */
  clock?: Clock | undefined;
}

interface AgentEntry {
  agent: http.Agent;
  /** `mtime:size:ino` of each credential file the agent was built from. */
  stamps: Map<string, string>;
  checkedAt: number;
}

/** A client-node private method (1.4.0): the per-request credentials without the TLS file reads. */
type ApplyAuthorization = (opts: https.RequestOptions) => Promise<void>;

const agents = new Map<string, Promise<AgentEntry>>();

/** The cache key: what the agent's TLS settings come from. */
function agentKey(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeError('CNPAAS_KUBE_NO_CLUSTER', 'the kubeconfig has no current cluster', {
      hint: 'set current-context in the kubeconfig, or pass one with a cluster',
    });
  }
  const user = kc.getCurrentUser();
  const source = (file: string | undefined, data: string | undefined): string =>
    file ? `file:${file}` : data ? `data:${createHash('sha256').update(data).digest('hex')}` : '';
  return JSON.stringify([
    cluster.server,
    source(cluster.caFile, cluster.caData),
    source(user?.certFile, user?.certData),
    source(user?.keyFile, user?.keyData),
    cluster.skipTLSVerify ?? false,
    cluster.tlsServerName ?? '',
    cluster.proxyUrl ?? '',
  ]);
}

function credentialFiles(kc: KubeConfig): string[] {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return [cluster?.caFile, user?.certFile, user?.keyFile].filter((f): f is string => !!f);
}

function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

async function buildAgent(kc: KubeConfig, clock: Clock): Promise<AgentEntry> {
  const stamps = new Map(credentialFiles(kc).map((f) => [f, stampOf(f)]));
  // Reads the files and validates the cluster/user combination the way client-node does.
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const cluster = kc.getCurrentCluster();
  let agent: http.Agent;
  if (cluster?.proxyUrl) {
    // client-node's proxy agents (hpagent, socks) know the proxy protocol; keep theirs.
    agent = tls.agent as http.Agent;
  } else if (cluster?.server.startsWith('http:')) {
    agent = new http.Agent({ keepAlive: true });
  } else {
    agent = new https.Agent({
      keepAlive: true,
      ...pick(tls, ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized']),
    });
  }
  return { agent, stamps, checkedAt: clock.now() };
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Stops an agent that was replaced: requests in flight finish, then its sockets close instead of idling. */
function retire(agent: http.Agent): void {
  agent.keepSocketAlive = () => false;
  for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
}

/** The shared agent for this kubeconfig, rebuilt when its credential files changed. */
export async function agentFor(kc: KubeConfig, clock: Clock = realClock): Promise<http.Agent> {
  const key = agentKey(kc);
  let pending = agents.get(key);
  if (!pending) {
    pending = buildAgent(kc, clock);
    agents.set(key, pending);
    pending.catch(() => agents.delete(key));
  }
  const entry = await pending;
  const now = clock.now();
  if (now - entry.checkedAt >= CREDENTIAL_CHECK_INTERVAL_MS) {
    entry.checkedAt = now;
    const changed = [...entry.stamps].some(([file, stamp]) => stampOf(file) !== stamp);
    if (changed && agents.get(key) === pending) {
      const rebuilt = buildAgent(kc, clock);
      agents.set(key, rebuilt);
      rebuilt.catch(() => agents.delete(key));
      retire(entry.agent);
      return (await rebuilt).agent;
    }
  }
  return entry.agent;
}

/**
 * Closes the idle connections of this kubeconfig's agent (a test's or a CLI's
 * last step). Requests in flight are not affected, and a later request opens
 * a new connection.
 */
export function closeIdleConnections(kc: KubeConfig): void {
  const pending = agents.get(agentKey(kc));
  void pending?.then(
    ({ agent }) => {
      for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    },
    () => undefined,
  );
}

/** The per-request credential headers: bearer tokens, exec plugins and auth providers, impersonation, basic auth. */
async function authHeaders(kc: KubeConfig): Promise<Record<string, string>> {
  const opts: https.RequestOptions = { headers: {} };
  const applyAuthorization = (kc as unknown as { applyAuthorizationHeader?: ApplyAuthorization })
    .applyAuthorizationHeader;
  if (typeof applyAuthorization === 'function') await applyAuthorization.call(kc, opts);
  else await kc.applyToHTTPSOptions(opts); // another client-node version: correct, only slower
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
  const user = kc.getCurrentUser();
  if (user?.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
  if (user?.username) {
    headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  }
  return headers;
}

/** Sends one request over the shared agent; resolves with the response whatever its status. */
export async function send(kc: KubeConfig, spec: TransportRequest): Promise<http.IncomingMessage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeError('CNPAAS_KUBE_NO_CLUSTER', 'the kubeconfig has no current cluster', {
      hint: 'set current-context in the kubeconfig, or pass one with a cluster',
    });
  }
  const url = new URL(cluster.server.replace(/\/+$/, '') + spec.path);
  for (const [k, v] of Object.entries(spec.query ?? {}))
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const [agent, auth] = await Promise.all([agentFor(kc, spec.clock), authHeaders(kc)]);
  const body = spec.body;
  const options: https.RequestOptions = {
    method: spec.method,
    agent,
    headers: {
      Accept: 'application/json',
      ...auth,
      ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}),
      ...spec.headers,
    },
    ...(spec.signal ? { signal: spec.signal } : {}),
  };
  const transport = url.protocol === 'https:' ? https : http;
  const what = `${spec.method} ${spec.path}`;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, resolve);
    req.setTimeout(spec.idleTimeoutMs, () => req.destroy(new Error(`${what}: no data for ${spec.idleTimeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function readBody(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}
