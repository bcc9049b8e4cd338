/**
 * Finds kube-apiserver, kube-controller-manager and kubectl at the pinned
 * version (docs/design.md "Embedded: `cnpaas up`"). Each binary is resolved on
 * its own, in order: TEST_ASSET_<NAME>, KUBEBUILDER_ASSETS, the cache, a
 * download from dl.k8s.io (never with CI=true), a build from Go modules
 * (scripts/k8s/build.sh). kubectl may also come from $KUBECTL or PATH.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PlatformError } from './errors.js';
import { K8S_SCRIPTS_DIR } from './kube-version.js';

const run = promisify(execFile);

/**
 * `kube-apiserver-pushdown` is kube-apiserver with the selector push-down
 * patch (scripts/k8s/pushdown/README.md): opt-in, never downloaded (nobody
 * publishes it), built from the same modules by scripts/k8s/build.sh.
 */
export type KubeBinaryName = 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'kube-apiserver-pushdown';

export interface ResolvedBinary {
  name: KubeBinaryName;
  path: string;
  /** Where it came from, for the progress line. */
  source: string;
}

export interface ResolveOptions {
  version: string;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (a build takes minutes). */
  onProgress?: (line: string) => void;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CNPAAS_CACHE_DIR ?? path.join(homedir(), '.cache', 'cnpaas');
}

export function binaryCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), 'k8s', `${version}-${process.platform}-${ARCH[process.arch] ?? process.arch}`);
}

function envName(name: KubeBinaryName): string {
  return `TEST_ASSET_${name.toUpperCase().replaceAll('-', '_')}`;
}

/** The version a binary reports, e.g. "1.34.10", or null if it cannot run. */
export async function binaryVersion(name: KubeBinaryName, file: string): Promise<string | null> {
  try {
    const args = name === 'kubectl' ? ['version', '--client'] : ['--version'];
    const { stdout } = await run(file, args, { timeout: 20_000 });
    return /v(\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

export async function resolveKubeBinary(name: KubeBinaryName, options: ResolveOptions): Promise<ResolvedBinary> {
  const env = options.env ?? process.env;
  const say = options.onProgress ?? (() => {});
  const tried: string[] = [];

  const candidates: Array<[string, string | undefined]> = [
    [envName(name), env[envName(name)]],
    ['KUBEBUILDER_ASSETS', env.KUBEBUILDER_ASSETS && path.join(env.KUBEBUILDER_ASSETS, name)],
    ...(name === 'kubectl' ? [['KUBECTL', env.KUBECTL] as [string, string | undefined]] : []),
    ['the cache', path.join(binaryCacheDir(options.version, env), name)],
  ];
  for (const [source, file] of candidates) {
    if (!file) continue;
    if (!existsSync(file)) {
      tried.push(`${source}: ${file} does not exist`);
      continue;
    }
    const version = await binaryVersion(name, file);
    if (version === options.version) return { name, path: file, source: `${source} (${file})` };
    say(
      `warning: ${file} (from ${source}) reports ${version ? `v${version}` : 'no version'}, not v${options.version}: skipped`,
    );
    tried.push(`${source}: ${file} is v${version ?? '?'}`);
  }

  const out = path.join(binaryCacheDir(options.version, env), name);
  if (name === 'kube-apiserver-pushdown') {
    tried.push('download: not published anywhere (a local patch)');
  } else if (env.CI === 'true' || env.CI === '1') {
    tried.push('download: skipped because CI is set');
  } else if (process.platform !== 'linux') {
    tried.push(`download: dl.k8s.io publishes ${name} for linux only`);
  } else {
    try {
      await download(name, options.version, out, say);
      return { name, path: out, source: 'dl.k8s.io' };
    } catch (err) {
      say(`download of ${name} failed: ${(err as Error).message}`);
      tried.push(`download: ${(err as Error).message}`);
    }
  }

  try {
    await buildFromGoModules(name, env, say);
    if ((await binaryVersion(name, out)) === options.version)
      return { name, path: out, source: 'a build from Go modules' };
    tried.push(`build: ${out} does not report v${options.version}`);
  } catch (err) {
    tried.push(`build: ${(err as Error).message}`);
  }

  if (name === 'kubectl') {
    const fromPath = await onPath('kubectl');
    if (fromPath) return { name, path: fromPath, source: `PATH (${fromPath})` };
  }
  throw new PlatformError(
    'CNPAAS_PLATFORM_BINARY_NOT_FOUND',
    `no ${name} v${options.version} found. Tried:\n    ${tried.join('\n    ')}`,
    {
      hint: `install Go >= 1.24 (https://go.dev/dl/) so scripts/k8s/build.sh can build it, or allow access to dl.k8s.io, or point ${envName(name)} or KUBEBUILDER_ASSETS at a v${options.version} binary`,
    },
  );
}

async function onPath(command: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, command);
    if (dir && existsSync(file)) return file;
  }
  return null;
}

async function download(
  name: KubeBinaryName,
  version: string,
  out: string,
  say: (line: string) => void,
): Promise<void> {
  const arch = ARCH[process.arch];
  if (!arch) throw new Error(`no release for ${process.arch}`);
  const url = `https://dl.k8s.io/release/v${version}/bin/linux/${arch}/${name}`;
  say(`downloading ${url}`);
  const get = async (u: string) => {
    const res = await fetch(u, { signal: AbortSignal.timeout(300_000) });
    if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  const expected = (await get(`${url}.sha256`)).toString('utf8').trim().split(/\s+/)[0];
  const body = await get(url);
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== expected) throw new Error(`${url}: sha256 ${actual} does not match the published ${expected}`);
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.download.${process.pid}`;
  writeFileSync(tmp, body);
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
}

function buildFromGoModules(name: KubeBinaryName, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<void> {
  const script = path.join(K8S_SCRIPTS_DIR, 'build.sh');
  say(`building ${name} from Go modules with scripts/k8s/build.sh (a cold build takes several minutes)`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (line.startsWith('scripts/k8s/build.sh')) say(line.replace(/^scripts\/k8s\/build\.sh: /, '  '));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`scripts/k8s/build.sh ${name} exited ${code}: ${tail.slice(-3).join(' | ')}`));
    });
  });
}
