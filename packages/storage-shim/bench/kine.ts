import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitForReady } from '../test/support/client.js';
import { freePort } from '../test/support/free-port.js';
import { goVersion } from './go-client.js';

/**
 * kine, k3s's etcd API over SQL, as the third column of `--backend
 * postgres|mysql`: the same kind of database under another etcd shim. Built
 * by scripts/k8s/build-kine.sh at the version pinned in scripts/k8s/KINE_VERSION.
 */

const K8S_DIR = resolve(import.meta.dirname, '../../../scripts/k8s');
const BUILD_SCRIPT = join(K8S_DIR, 'build-kine.sh');

/** The pinned kine version (scripts/k8s/KINE_VERSION). */
export function kineVersion(): string {
  return readFileSync(join(K8S_DIR, 'KINE_VERSION'), 'utf8').trim();
}

function runScript(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      'bash',
      [BUILD_SCRIPT, ...args],
      { env: process.env, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err
          ? fail(
              new Error(`${BUILD_SCRIPT} ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-5).join(' | ')}`),
            )
          : done({ stdout, stderr }),
    );
  });
}

/**
 * The kine binary, built on first use (stderr shows the build's progress).
 * `missing` says why there is none: Go is not installed and nothing was built before.
 */
export async function ensureKine(): Promise<{ binary: string } | { missing: string }> {
  if (goVersion() === undefined) {
    const path = (await runScript(['--print-path'])).stdout.trim();
    if (existsSync(path)) return { binary: path };
    return {
      missing: `Go is not on PATH and ${path} was never built, so the kine column is empty: install Go, or run scripts/k8s/build-kine.sh where Go is`,
    };
  }
  const { stdout, stderr } = await runScript([]);
  for (const line of stderr.trim().split('\n')) if (line) process.stderr.write(`${line}\n`);
  const binary = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(binary)) throw new Error(`${BUILD_SCRIPT} printed no binary path (got ${JSON.stringify(stdout)})`);
  return { binary };
}

/**
 * kine's connection pool. Its default has no limit on open connections and
 * keeps 2 idle: at concurrency 64 it opened a connection per request beyond
 * those and ran into PostgreSQL's max_connections (100), failing requests with
 * "too many clients". A pool of exactly 64 hung for good once at concurrency
 * 64: every connection sat idle in a transaction, each request waiting for a
 * second connection the pool no longer had. Twice the concurrency, kept open,
 * is how one would run it for this load (the bench's PostgreSQL allows 200
 * connections, MariaDB its default 151).
 */
export const KINE_POOL = ['--datastore-max-open-connections=128', '--datastore-max-idle-connections=128'];

export interface KineHandle {
  /** host:port */
  target: string;
  /** Recent output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts kine on a free loopback port over `endpoint` (postgres://… or
 * mysql://…; it creates its table itself). Its metrics listener, on :8080 by
 * default, goes to another free loopback port.
 */
export async function startKine(binary: string, endpoint: string): Promise<KineHandle> {
  const port = await freePort();
  const metricsPort = await freePort();
  const target = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [
      `--endpoint=${endpoint}`,
      `--listen-address=${target}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      // As the store and etcd in this bench: progress notifications every second.
      '--watch-progress-notify-interval=1s',
      ...KINE_POOL,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let buffer = '';
  // kine logs its endpoint on errors; keep the password out of anything this bench prints.
  const append = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString().replace(/(\/\/[^:/@]+:)[^@]*@/g, '$1***@')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const early = exited.then(() => {
    throw new Error(`kine exited early (code ${child.exitCode}):\n${buffer}`);
  });
  try {
    await Promise.race([waitForReady(target, 60_000), early]);
  } catch (err) {
    await stop();
    throw err;
  }
  early.catch(() => {});
  return { target, output: () => buffer, stop };
}
