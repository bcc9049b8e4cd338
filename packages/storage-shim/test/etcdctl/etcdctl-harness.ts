import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerHandle } from '../support/processes.js';

/**
 * Runs Debian's etcdctl (v3 API) as a black box against one server, and turns
 * its output into something two servers can be compared on: cluster/member IDs,
 * raft terms, lease IDs, endpoints and timings differ legitimately between the
 * store and etcd, everything else should not.
 */

export const ETCDCTL = process.env.ETCDCTL_BIN ?? 'etcdctl';

/** One side of the comparison: the server and what steps learnt about it (lease IDs by name). */
export interface Side {
  name: 'store' | 'etcd';
  server: ServerHandle;
  leases: Map<string, bigint>;
  /** Revision at the start of the current scenario; both sides are aligned to the same value. */
  rev0: number;
}

export interface CtlResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Endpoints are given as host:port, etcdctl's own default form. With an
 * http:// endpoint, etcdctl 3.4's per-endpoint commands (endpoint status,
 * defrag, endpoint hashkv) send the whole URL as the HTTP/2 :authority, which
 * Node's nghttp2 rejects before the store sees the request; see the
 * storage-shim README, "Known differences from etcd".
 */
export function endpointOf(side: Side): string {
  return side.server.target;
}

function baseArgs(side: Side): string[] {
  return [`--endpoints=${endpointOf(side)}`, '--dial-timeout=3s', '--command-timeout=8s'];
}

const ENV = { ...process.env, ETCDCTL_API: '3' };

/** Runs one etcdctl command to completion. A hang is a failure, not a test timeout. */
export function ctl(
  side: Side,
  args: string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL, [...baseArgs(side), ...args], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `etcdctl ${args.join(' ')} against ${side.name} did not finish in ${options.timeoutMs ?? 15_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A long-running etcdctl (watch, lock, elect) whose output is read while it runs. */
export interface Background {
  output(): string;
  stderr(): string;
  /** Resolves once the output satisfies the predicate; rejects with the output so far on timeout or early exit. */
  waitFor(predicate: (stdout: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** SIGINT: etcdctl lock/elect release on it, which a SIGTERM would skip. */
  interrupt(): Promise<CtlResult>;
  /** Stops the process (if still running) and returns what it printed. */
  stop(): Promise<CtlResult>;
  /** Resolves when the process exits by itself. */
  exited: Promise<CtlResult>;
}

const running = new Set<ChildProcess>();

export function background(side: Side, args: string[]): Background {
  const child = spawn(ETCDCTL, [...baseArgs(side), ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const l of listeners) l();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<CtlResult>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  const finish = async (signal: NodeJS.Signals): Promise<CtlResult> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  return {
    output: () => stdout,
    stderr: () => stderr,
    exited,
    interrupt: () => finish('SIGINT'),
    stop: () => finish('SIGTERM'),
    waitFor(predicate, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(stdout)) {
            cleanup();
            resolve(stdout);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(
              new Error(
                `${side.name}: etcdctl ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before ${what}\nstdout: ${stdout}\nstderr: ${stderr}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${side.name}: timed out after ${timeoutMs} ms waiting for ${what} from etcdctl ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Kills any background etcdctl a failed test left behind. */
export function killStragglers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * JSON.parse loses int64 precision (member IDs, lease IDs are 64-bit), so long
 * integers are turned into strings before parsing.
 */
export function parseJson(text: string): any {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

/** Parses output that holds one JSON document per line (etcdctl watch -w json). */
export function parseJsonLines(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map(parseJson);
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** Fields that identify a member or a raft term, never comparable between two servers. */
const DROPPED = new Set(['cluster_id', 'member_id', 'raft_term', 'took']);
/** Fields holding a lease ID (etcdctl uses all three spellings; member list's `ID` is a member ID, just as incomparable). */
const LEASE_FIELDS = new Set(['lease', 'ID', 'id']);

function leaseName(side: Side, id: string): string {
  if (id === '0') return '0';
  for (const [name, value] of side.leases) if (value.toString() === id) return `<lease:${name}>`;
  return '<lease:?>';
}

/** Normalizes a parsed etcdctl JSON document so the same operation on store and etcd compares equal. */
export function normalizeJson(side: Side, value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalizeJson(side, v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (DROPPED.has(k)) continue;
      out[k] = normalizeJson(side, v, k);
    }
    return out;
  }
  if (LEASE_FIELDS.has(key) && (typeof value === 'string' || typeof value === 'number'))
    return leaseName(side, String(value));
  if (typeof value === 'string') return hideEndpoint(side, value);
  return value;
}

function hideEndpoint(side: Side, text: string): string {
  return text.split(side.server.endpoint).join('<endpoint>').split(side.server.target).join('<endpoint>');
}

/** Normalizes text output: endpoint, lease IDs (etcdctl prints them as %016x) and client-library log lines. */
export function normalizeText(side: Side, text: string): string {
  let out = text
    .split('\n')
    // clientv3's retry interceptor logs a zap JSON line with a random target before each error.
    .filter((l) => !l.startsWith('{"level":'))
    .join('\n');
  out = hideEndpoint(side, out);
  for (const [name, id] of side.leases) out = out.split(id.toString(16).padStart(16, '0')).join(`<lease:${name}>`);
  return out;
}

/** The server's current revision, read the way a client would (etcdctl get -w json). */
export async function currentRevision(side: Side): Promise<number> {
  const r = await ctl(side, ['get', '/__revision_probe__', '-w', 'json']);
  if (r.code !== 0) throw new Error(`${side.name}: get failed: ${r.stderr}`);
  return Number(parseJson(r.stdout).header.revision);
}

/** Parses "lease 694d8a1b2c3d4e5f granted with TTL(60s)". */
export function parseGrantedLease(stdout: string): bigint {
  const m = /^lease ([0-9a-f]{16}) granted with TTL\((\d+)s\)$/m.exec(stdout);
  if (!m) throw new Error(`unexpected lease grant output: ${stdout}`);
  return BigInt(`0x${m[1]}`);
}
