import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The etcd the benchmarks compare against, when none is named: `ETCD_BIN`,
 * else the reference etcd 3.6 that `bash scripts/k8s/build.sh etcd` puts in
 * the cnpaas cache, else the `etcd` on PATH (Debian's is 3.4.23). Etcd 3.6 is
 * the release a new cluster runs today, so a figure "against etcd" means it;
 * the differential tests keep Debian's 3.4.23 as their oracle (docs/design.md
 * "Oracles").
 */
export function referenceEtcd(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ETCD_BIN) return env.ETCD_BIN;
  const cached = path.join(env.CNPAAS_CACHE_DIR ?? path.join(homedir(), '.cache', 'cnpaas'), 'bin', 'etcd');
  return existsSync(cached) ? cached : 'etcd';
}

/** `etcd --version`'s version, e.g. `3.6.4`; throws naming the binary when it does not run. */
export function etcdVersion(binary: string): string {
  let out: string;
  try {
    out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${binary} --version failed: ${(err as Error).message}`, { cause: err });
  }
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** The hint a benchmark prints when it measures against an older etcd than the reference. */
export function olderEtcdHint(version: string): string | undefined {
  return /^3\.[0-5]\./.test(version)
    ? `etcd ${version} is older than the reference 3.6: \`bash scripts/k8s/build.sh etcd\` builds 3.6 into the cnpaas cache, and the benchmarks use it from then on`
    : undefined;
}
