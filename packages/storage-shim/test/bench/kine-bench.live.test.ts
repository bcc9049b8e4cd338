import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresMissing } from '../../src/testing/postgres.js';
import { referenceEtcd } from '../../src/testing/reference-etcd.js';

/**
 * The kine build script and `bench --backend postgres`: a tiny run (20
 * operations a row) must fill the store, etcd and kine columns of every row.
 * A check that the path works, not a measurement.
 */

const PACKAGE = resolve(import.meta.dirname, '../..');
const BUILD_KINE = resolve(PACKAGE, '../../scripts/k8s/build-kine.sh');

function runs(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', env: { ...process.env, GOTOOLCHAIN: 'local' } });
    return true;
  } catch {
    return false;
  }
}

const missing = !runs('go', ['version'])
  ? 'Go is not on PATH (the kine build and the Go clientv3 rows need it)'
  : (postgresMissing() ??
    (runs(referenceEtcd(), ['--version'])
      ? undefined
      : `${referenceEtcd()} does not run (the bench compares with it)`));
if (missing) console.warn(`skipping the kine benchmark check: ${missing}`);

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(cmd, args, { cwd: PACKAGE, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      err
        ? fail(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr.slice(-4000)}`))
        : done({ stdout, stderr }),
    );
  });
}

interface Row {
  id: string;
  subject: { value: number; ops: number; errors: number };
  etcd: { value: number; ops: number; errors: number };
  kine?: { value: number; ops: number; errors: number; firstError?: string };
}

describe.skipIf(missing !== undefined)('bench --backend postgres with kine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-kine-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Cold (no kine in the cache) the build takes ~6 min on 2 cores with an empty module cache; warm it takes 0.1 s.
  it('build-kine.sh leaves a kine that reports the pinned version, and a second run skips the build', async () => {
    const pinned = readFileSync(resolve(BUILD_KINE, '../KINE_VERSION'), 'utf8').trim();
    const first = await run('bash', [BUILD_KINE], 900_000);
    const binary = first.stdout.trim().split('\n').pop()!;
    expect(binary).toMatch(new RegExp(`/bin/kine-${pinned.replace(/\./g, '\\.')}$`));
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' })).toContain(`kine version ${pinned} `);
    const second = await run('bash', [BUILD_KINE], 30_000);
    expect(second.stderr).toContain('already in');
    expect(second.stdout.trim()).toBe(binary);
  }, 900_000);

  it('fills the store, etcd and kine columns on every row, on a durable PostgreSQL', async () => {
    const json = join(dir, 'bench.json');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/main.ts', '--backend=postgres', '--count=20', `--json=${json}`],
      180_000,
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      columns: string[];
      durability: string;
      rows: Row[];
    };
    expect(result.columns).toEqual(['store', 'etcd', 'kine']);
    // Durable on both sides, and said so in the output.
    expect(result.durability).toContain('fsync=on');
    expect(result.durability).toContain('synchronous_commit=on');
    expect(stdout).toContain('durability: PostgreSQL fsync=on');
    const ids = result.rows.map((r) => r.id);
    // Every grpc-js row and every Go clientv3 row ran.
    expect(ids).toEqual(
      expect.arrayContaining(['put-c1', 'put-c64', 'create-c64', 'update-c64', 'get-c64', 'list-10k', 'watch-p99']),
    );
    expect(ids).toEqual(expect.arrayContaining(['go-put-c1', 'go-create-c64', 'go-update-c64', 'go-get-c64']));
    for (const r of result.rows) {
      expect({ id: r.id, ...r.subject }).toMatchObject({ id: r.id, errors: 0 });
      expect(r.subject.ops, r.id).toBeGreaterThan(0);
      expect(r.etcd.errors, r.id).toBe(0);
      expect(r.kine, r.id).toBeDefined();
    }
    // kine v0.17's forms cover every row of this workload (tried: none answers "unsupported");
    // a row it refused would show as "n/a (why)" in the table instead.
    for (const r of result.rows) {
      expect({ id: r.id, errors: r.kine!.errors, firstError: r.kine!.firstError }).toEqual({
        id: r.id,
        errors: 0,
        firstError: undefined,
      });
      expect(r.kine!.ops, r.id).toBeGreaterThan(0);
    }
    // The table has the store/kine ratio and its target.
    expect(stdout).toContain('store/kine');
    expect(stdout).toMatch(/≥ 1\.5× kine/);
    // The bound of the concurrency-1 rows: the same Put row on a store over a SQLite file, as a ratio to kine.
    expect(stdout).toMatch(
      /on a store whose keys are in a SQLite file .*: [\d,]+ ops\/s with grpc-js \(\d+\.\d\d× kine\), [\d,]+ with the Go client/,
    );
    // And its floor: a Get on that store plus one durable commit on the same PostgreSQL, with no errors in either.
    expect(stdout).toMatch(
      /The floor of concurrency 1 in this run: .* on PostgreSQL [\d.]+\. A single-row INSERT committed on its own from this process's driver took \d+\.\d{3} ms \([\d,]+ a second\); a Get \d+\.\d{3} ms with grpc-js, so at most [\d,]+ Puts a second, \d+\.\d\d× kine; a Get \d+\.\d{3} ms with the Go client, so at most [\d,]+ Puts a second, \d+\.\d\d× kine\./,
    );
  }, 180_000);
});
