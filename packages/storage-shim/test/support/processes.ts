import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.js';
import { waitForReady } from './client.js';

export interface ServerHandle {
  /** host:port for grpc-js clients. */
  target: string;
  /** http://host:port for etcdctl --endpoints. */
  endpoint: string;
  dataDir: string;
  child: ChildProcess;
  /** Recent output, for failure messages. */
  output(): string;
  /** SIGKILL, like a power cut from the process's point of view. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const STORE_BIN = resolve(import.meta.dirname, '../../bin/cnpaas-store.js');

/** The child's output as it comes, the last `limit` characters of it. */
function track(child: ChildProcess, limit = 20_000): () => string {
  let buffer = '';
  const append = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString()).slice(-limit);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => buffer;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

async function handle(
  child: ChildProcess,
  port: number,
  dataDir: string,
  ownsDir: boolean,
  ready?: () => Promise<void>,
): Promise<ServerHandle> {
  const output = track(child);
  const target = `127.0.0.1:${port}`;
  const early = exited(child).then(() => {
    throw new Error(`server exited early (code ${child.exitCode}):\n${output()}`);
  });
  await Promise.race([(ready ?? (() => waitForReady(target)))(), early]);
  early.catch(() => {});
  const h: ServerHandle = {
    target,
    endpoint: `http://${target}`,
    dataDir,
    child,
    output,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

export interface StoreOptions {
  dataDir?: string;
  /** Topology YAML text, written to a file in the data dir. */
  topology?: string;
  extraArgs?: string[];
  /** More --listen-client-urls beside the loopback port the helper picks. */
  extraListenUrls?: string[];
  /**
   * Replaces the helper's plain loopback listener (e.g. TLS only, which
   * --client-cert-auth demands); readiness is then read from /readyz on a
   * metrics port, and `target` is that port.
   */
  listenUrls?: string[];
  progressIntervalMs?: number;
  logLevel?: string;
  /** Flags for node itself, before the store's script (the benchmark's --profile passes --cpu-prof). */
  nodeArgs?: string[];
  /** More environment for the store (a crash point, src/mvcc/crash-point.ts). */
  env?: Record<string, string>;
}

/** Starts the built cnpaas-store on a free loopback port with its own data dir. */
export async function startStore(options: StoreOptions = {}): Promise<ServerHandle> {
  const ownsDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cnpaas-store-'));
  const port = await freePort();
  const clientUrls = options.listenUrls ?? [`http://127.0.0.1:${port}`, ...(options.extraListenUrls ?? [])];
  const args = [
    STORE_BIN,
    `--listen-client-urls=${clientUrls.join(',')}`,
    `--data-dir=${dataDir}`,
    `--experimental-watch-progress-notify-interval=${options.progressIntervalMs ?? 1000}ms`,
    `--log-level=${options.logLevel ?? 'warn'}`,
  ];
  if (options.topology) {
    const file = join(dataDir, 'topology.yaml');
    writeFileSync(file, options.topology);
    args.push(`--topology=${file}`);
  }
  if (options.listenUrls) args.push(`--listen-metrics-urls=http://127.0.0.1:${port}`);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  return handle(
    child,
    port,
    dataDir,
    ownsDir,
    options.listenUrls ? () => waitForHttpReady(`http://127.0.0.1:${port}/readyz`) : undefined,
  );
}

export interface RefusedStartOptions {
  /** Topology YAML text, written to a file beside the data dir. */
  topology?: string;
  /** The data dir; by default a fresh one that is removed afterwards. */
  dataDir?: string;
  extraArgs?: string[];
  /** The store's whole environment; by default this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long the store may take to refuse before it is killed (and the caller sees no exit status). */
  timeoutMs?: number;
}

export interface RefusedStart {
  status: number | null;
  /** stdout and stderr together. */
  output: string;
  /** From the spawn to the exit. */
  ms: number;
}

/**
 * Starts the built cnpaas-store where it must refuse to start: its exit
 * status, everything it printed and how long it took. It runs without
 * blocking this process, so servers the test holds in-process keep answering.
 */
export async function refusedStart(options: RefusedStartOptions = {}): Promise<RefusedStart> {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-refused-'));
  try {
    const args = [
      STORE_BIN,
      '--listen-client-urls=http://127.0.0.1:0',
      `--data-dir=${options.dataDir ?? join(dir, 'data')}`,
    ];
    if (options.topology !== undefined) {
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, options.topology);
      args.push(`--topology=${file}`);
    }
    args.push(...(options.extraArgs ?? []));
    const started = Date.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
    // All of it: a test asserts what the refusal does not print, too.
    const output = track(child, Infinity);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 40_000);
    // 'close', not 'exit': the last of the output may still be in the pipes at exit.
    await new Promise((r) => child.once('close', r));
    clearTimeout(timer);
    return { status: child.exitCode, output: output(), ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForHttpReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${String(last)}`);
}

/**
 * Starts a real etcd on free loopback ports with a temp data dir: `binary`, else
 * `ETCD_BIN`, else the `etcd` on PATH (Debian's etcd-server 3.4.23, the tests' oracle).
 */
export async function startEtcd(options: { progressIntervalMs?: number; binary?: string } = {}): Promise<ServerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-etcd-'));
  const client = await freePort();
  const peer = await freePort();
  const args = [
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=default=http://127.0.0.1:${peer}`,
    `--experimental-watch-progress-notify-interval=${options.progressIntervalMs ?? 1000}ms`,
    '--log-level=warn',
    '--logger=zap',
  ];
  const child = spawn(options.binary ?? process.env.ETCD_BIN ?? 'etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return handle(child, client, dataDir, true);
}
