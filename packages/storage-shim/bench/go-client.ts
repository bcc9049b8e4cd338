import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { scrape, type FsyncSource } from './metrics.js';
import type { Measurement } from './workload.js';

/**
 * The second client: scripts/k8s/cmd/etcd-load, a Go load generator on
 * go.etcd.io/etcd/client/v3, the client kube-apiserver uses. Unlike the
 * grpc-js client it is not held to one JS thread, so its c=64 rows measure
 * the servers rather than the client. It runs as a child process per row and
 * server and prints one JSON line.
 */

/** The Go module holding the loader. */
const MODULE_DIR = resolve(import.meta.dirname, '../../../scripts/k8s');
const SOURCES = ['cmd/etcd-load/main.go', 'go.mod', 'go.sum'].map((f) => join(MODULE_DIR, f));

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function cacheBinDir(): string {
  const base = process.env.CNPAAS_CACHE_DIR ?? join(homedir(), '.cache', 'cnpaas');
  return join(base, 'bin');
}

function mtimeMs(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The `go` on PATH, or undefined. */
export function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    }).trim();
  } catch {
    return undefined;
  }
}

/** The clientv3 version the loader is built against, from go.mod's require (not the comment above it). */
export function clientV3Version(): string {
  try {
    return (
      /^\s*go\.etcd\.io\/etcd\/client\/v3 (v\S+)/m.exec(readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8'))?.[1] ??
      'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/**
 * Builds the loader into the cache once (and again when its sources are newer
 * than the binary), with GOTOOLCHAIN=local and GOFLAGS=-mod=readonly so the
 * build neither fetches a toolchain nor edits go.mod. Undefined when Go is not
 * installed and nothing was built before: the caller skips the Go rows. A
 * failing build with Go present is an error.
 */
export async function ensureGoLoader(): Promise<string | undefined> {
  const binary = join(cacheBinDir(), 'etcd-load');
  const built = mtimeMs(binary);
  const newest = Math.max(...SOURCES.map((f) => mtimeMs(f) ?? Number.POSITIVE_INFINITY));
  if (built !== undefined && built >= newest) return binary;
  if (goVersion() === undefined) {
    if (built === undefined) return undefined;
    log(`note: ${binary} is older than its sources and Go is not on PATH to rebuild it; using it as it is`);
    return binary;
  }
  mkdirSync(cacheBinDir(), { recursive: true });
  log(
    built === undefined
      ? 'building the Go load generator (first run only)…'
      : 'rebuilding the Go load generator (its sources changed)…',
  );
  await new Promise<void>((resolveBuild, reject) => {
    execFile(
      'go',
      ['build', '-o', binary, './cmd/etcd-load'],
      {
        cwd: MODULE_DIR,
        env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, _stdout, stderr) =>
        err
          ? reject(new Error(`go build of ${MODULE_DIR}/cmd/etcd-load failed: ${err.message}\n${stderr}`))
          : resolveBuild(),
    );
  });
  return binary;
}

/** One server as the loader sees it. */
export interface GoServer {
  /** host:port */
  target: string;
  fsync?: FsyncSource;
}

export interface GoArgs {
  op: 'put' | 'create' | 'update' | 'get';
  concurrency: number;
  total: number;
  /** Distinct keys (create makes them, update and get reuse them); defaults to total. */
  keys?: number;
  prefix: string;
  valueSize?: number;
  maxMs: number;
}

interface GoResult {
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function runLoader(loader: string, args: string[], timeoutMs: number): Promise<GoResult> {
  return new Promise((resolveRun, reject) => {
    execFile(
      loader,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `killed after ${timeoutMs} ms` : err.message.split('\n')[0];
          reject(
            new Error(`etcd-load ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`),
          );
          return;
        }
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolveRun(JSON.parse(line) as GoResult);
        } catch {
          reject(new Error(`etcd-load printed no JSON result: ${JSON.stringify(stdout.slice(0, 200))}`));
        }
      },
    );
  });
}

/**
 * Runs the loader once against one server and converts its result to a
 * Measurement; write ops are bracketed by fsync scrapes like the grpc-js rows.
 * A loader that fails outright becomes a row with one error, not an exception.
 */
export async function runGoRow(loader: string, server: GoServer, args: GoArgs): Promise<Measurement> {
  const argv = [
    `--endpoint=${server.target}`,
    `--op=${args.op}`,
    `--concurrency=${args.concurrency}`,
    `--total=${args.total}`,
    `--keys=${args.keys ?? args.total}`,
    `--prefix=${args.prefix}`,
    `--value-size=${args.valueSize ?? 1024}`,
    `--max-time=${Math.round(args.maxMs)}ms`,
  ];
  const write = args.op !== 'get';
  const before = write ? await scrape(server.fsync) : undefined;
  let r: GoResult;
  try {
    // The loader stops issuing work at --max-time; allow for connecting, the update prefetch and draining.
    r = await runLoader(loader, argv, args.maxMs + 60_000);
  } catch (err) {
    return { value: 0, ops: 0, errors: 1, firstError: err instanceof Error ? err.message : String(err) };
  }
  const after = write ? await scrape(server.fsync) : undefined;
  const m: Measurement = {
    value: r.opsPerSec,
    ops: r.ops,
    errors: r.errors,
    p50Ms: r.ops > 0 ? r.p50Ms : Number.NaN,
    p99Ms: r.ops > 0 ? r.p99Ms : Number.NaN,
  };
  if (r.firstError !== undefined) m.firstError = r.firstError;
  if (before && after && r.ops > 0) {
    m.fsyncsPerWrite = (after.fsyncs - before.fsyncs) / r.ops;
    if (before.writes !== undefined && after.writes !== undefined) m.serverWrites = after.writes - before.writes;
  }
  return m;
}
