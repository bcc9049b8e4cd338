/**
 * Kubernetes' own storage tests (k8s.io/apiserver pkg/storage/etcd3/..., the
 * pinned version, unmodified) against cnpaas-store, as kine tests itself
 * (docs/design.md "Oracles"). scripts/k8s/storage-test.sh builds them
 * with the test-server hook swapped for scripts/k8s/storagetest/testserver
 * and runs them; see scripts/k8s/STORAGE-TESTS.md.
 *
 * Runs: the store (one SQLite file), the store routed over three SQLite
 * backends (scripts/k8s/storagetest/topology-split.yaml), the store with
 * everything on PostgreSQL, everything on MariaDB, routed over PostgreSQL,
 * MariaDB and SQLite at once (topology-mixed.yaml), two store replicas on one
 * PostgreSQL database with the client spread over both, two replicas whose
 * topology routes namespaces to MariaDB and a second PostgreSQL database
 * (topology-replicas.yaml), and the unmodified
 * embedded etcd 3.6 the suite uses upstream, which proves the harness. Every
 * top-level Go test must pass on each, and the same tests must run on each.
 *
 * The database servers are started once for this file (test/support/), and
 * storage-test.sh creates a fresh database on them for every store a test
 * starts. A server whose binaries are missing skips its runs, saying why.
 *
 * Needs Go (>= 1.24) on PATH; the first build takes a few minutes and is
 * cached in ${CNPAAS_CACHE_DIR:-~/.cache/cnpaas}/storage-test/.
 *
 * CNPAAS_LONG=1 adds the extended suites (pkg/storage/cacher and
 * pkg/registry/generic/registry) to the store and etcd runs.
 * CNPAAS_STORAGE_TEST_VERBOSE=1 streams the script's output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariadbHandle, mariadbMissing, startMariadb } from '../support/mariadb.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { failureReport, parseTest2json, type GoResults } from './go-results.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const SCRIPT = join(REPO, 'scripts/k8s/storage-test.sh');
const SPLIT_TOPOLOGY = join(REPO, 'scripts/k8s/storagetest/topology-split.yaml');
const MIXED_TOPOLOGY = join(REPO, 'scripts/k8s/storagetest/topology-mixed.yaml');
const REPLICAS_TOPOLOGY = join(REPO, 'scripts/k8s/storagetest/topology-replicas.yaml');
const MINUTE = 60_000;
const LONG = process.env.CNPAAS_LONG === '1';
const PACKAGES = LONG ? ['--extended'] : [];
/** A run of the suite: the name its results go by, what it runs against, and how storage-test.sh is told so. */
interface SuiteRun {
  name: string;
  against: string;
  /** storage-test.sh's flags besides the packages. */
  flags: string[];
  /** Only the etcd3 package (a topology routes its keys); otherwise every package, or the extended set with CNPAAS_LONG=1. */
  etcd3Only?: boolean;
  /** The database servers it runs on; without one of them it is skipped. */
  needs?: ('postgres' | 'mariadb')[];
}

const STORE = ['--target', 'store'];
const RUNS: SuiteRun[] = [
  { name: 'store', against: 'cnpaas-store', flags: STORE },
  {
    name: 'routed',
    against: 'cnpaas-store routed over three backends',
    flags: [...STORE, '--topology', SPLIT_TOPOLOGY],
    etcd3Only: true,
  },
  {
    name: 'postgres',
    against: 'cnpaas-store with everything on PostgreSQL',
    flags: [...STORE, '--backend', 'postgres'],
    needs: ['postgres'],
  },
  {
    name: 'mariadb',
    against: 'cnpaas-store with everything on MariaDB',
    flags: [...STORE, '--backend', 'mysql'],
    needs: ['mariadb'],
  },
  {
    name: 'mixed',
    against: 'cnpaas-store routed over PostgreSQL, MariaDB and SQLite at once',
    flags: [...STORE, '--topology', MIXED_TOPOLOGY],
    etcd3Only: true,
    needs: ['postgres', 'mariadb'],
  },
  // The overlay gives the client both replicas' endpoints; clientv3 balances
  // round robin per RPC and per watch stream, so a test's write and the read
  // or watch that must see it go to different processes, and the overlay
  // fails any test in which one replica served none of 8 or more requests.
  {
    name: 'replicas',
    against: 'two cnpaas-store replicas on one PostgreSQL database, the client on both',
    flags: [...STORE, '--backend', 'postgres', '--replicas', '2'],
    needs: ['postgres'],
  },
  {
    name: 'replicas-routed',
    against: 'two cnpaas-store replicas routed over PostgreSQL, MariaDB and a second PostgreSQL database',
    flags: [...STORE, '--backend', 'postgres', '--replicas', '2', '--topology', REPLICAS_TOPOLOGY],
    etcd3Only: true,
    needs: ['postgres', 'mariadb'],
  },
  {
    name: 'etcd',
    against: 'the embedded etcd 3.6 they use upstream (proves the harness)',
    flags: ['--target', 'etcd'],
  },
];

/** The run's flags with the packages it runs. */
function suiteFlags(run: SuiteRun): string[] {
  return [...run.flags, ...(run.etcd3Only ? ['--pkg', 'etcd3'] : PACKAGES)];
}

/** Tests each run is allowed to skip, by target (STORAGE-TESTS.md lists them with reasons). */
const EXPECTED_SKIPS: Record<string, string[]> = {
  store: [],
  routed: [],
  postgres: [],
  mariadb: [],
  mixed: [],
  replicas: [],
  'replicas-routed': [],
  etcd: [],
};
/** A floor on top-level tests, so an empty or truncated run cannot pass (v0.34.10: 73 in etcd3, 86 by default, 280 extended). */
const MIN_TESTS = 70;

let workDir: string;
let running: ChildProcess | undefined;
const results = new Map<string, GoResults>();
/** How long each run took, printed at the end (CI's budget; STORAGE-TESTS.md "Timings"). */
const timings = new Map<string, number>();
const POSTGRES_MISSING = postgresMissing();
const MARIADB_MISSING = mariadbMissing();
if (POSTGRES_MISSING) console.warn(`skipping the storage tests on PostgreSQL: ${POSTGRES_MISSING}`);
if (MARIADB_MISSING) console.warn(`skipping the storage tests on MariaDB: ${MARIADB_MISSING}`);
const DATABASE_MISSING = { postgres: POSTGRES_MISSING, mariadb: MARIADB_MISSING };
let postgres: PostgresHandle | undefined;
let mariadb: MariadbHandle | undefined;

interface ScriptRun {
  code: number | null;
  output: string;
}

/** Runs storage-test.sh; its own process group, so a timeout can stop the test binary and stores too. */
function runScript(args: string[]): Promise<ScriptRun> {
  // The servers' admin URLs (with their throw-away passwords) go to the script through its environment only.
  const env = { ...process.env };
  if (postgres) env.CNPAAS_STORAGE_TEST_POSTGRES = postgres.url('postgres');
  if (mariadb) env.CNPAAS_STORAGE_TEST_MYSQL = mariadb.url('mysql');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], {
      cwd: REPO,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
      if (process.env.CNPAAS_STORAGE_TEST_VERBOSE === '1') process.stderr.write(chunk);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.on('error', reject);
    child.on('close', (code) => {
      running = undefined;
      resolvePromise({ code, output });
    });
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Without Go every test here fails (not skips) with what to install. */
function requireGo(): void {
  const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(
      "Go is not on PATH: Kubernetes' storage tests (scripts/k8s/storage-test.sh) are Go. " +
        "Install Go >= 1.24 from https://go.dev/dl/ (Debian 12's golang-go is too old) and put it on PATH; CI has it.",
    );
  }
}

async function runTarget(name: string, args: string[]): Promise<GoResults> {
  requireGo();
  const json = join(workDir, `${name}.json`);
  const started = Date.now();
  const run = await runScript([...args, '--json', json]);
  timings.set(name, Date.now() - started);
  let text: string;
  try {
    text = readFileSync(json, 'utf8');
  } catch {
    throw new Error(`storage-test.sh ${args.join(' ')} wrote no results (exit ${run.code}):\n${tail(run.output)}`);
  }
  const r = parseTest2json(text);
  results.set(name, r);
  const report = failureReport(r);
  // Named Go tests first, so the vitest report says which ones failed.
  expect(r.failed, `Go tests failed against ${name}:${report}`).toEqual([]);
  expect(r.failedSubtests, `Go subtests failed against ${name}:${report}`).toEqual([]);
  expect(r.brokenPackages, `test binaries failed outside any test against ${name}:${report}`).toEqual([]);
  expect(r.skipped, `skipped against ${name} (list new skips with a reason in scripts/k8s/STORAGE-TESTS.md)`).toEqual(
    EXPECTED_SKIPS[name],
  );
  expect(r.passed.length, `too few tests ran against ${name}:\n${tail(run.output)}`).toBeGreaterThanOrEqual(MIN_TESTS);
  expect(run.code, `storage-test.sh exited ${run.code}:\n${tail(run.output)}`).toBe(0);
  return r;
}

describe("Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3)", () => {
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'cnpaas-apiserver-storage-'));
    // Once for the whole file: each run gets fresh databases on them (storagetest/databases.mjs).
    if (!POSTGRES_MISSING) postgres = await startPostgres();
    if (!MARIADB_MISSING) mariadb = await startMariadb();
  }, 2 * MINUTE);

  afterAll(async () => {
    // A timed-out run: stop the script's process group (the test binary and its stores).
    if (running?.pid) {
      try {
        process.kill(-running.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    await postgres?.stop();
    await mariadb?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    const seconds = [...timings].map(([name, ms]) => `${name} ${Math.round(ms / 1000)} s`);
    if (seconds.length > 0) console.log(`storage-test runs: ${seconds.join(', ')}`);
  }, 2 * MINUTE);

  it(
    'builds the test binaries (cached when up to date)',
    async () => {
      requireGo();
      const run = await runScript(['--build-only', ...PACKAGES]);
      expect(run.code, `storage-test.sh --build-only failed:\n${tail(run.output)}`).toBe(0);
    },
    30 * MINUTE,
  );

  for (const run of RUNS) {
    const missing = (run.needs ?? []).some((server) => DATABASE_MISSING[server] !== undefined);
    it.skipIf(missing)(
      `all pass against ${run.against}`,
      async () => {
        await runTarget(run.name, suiteFlags(run));
      },
      (run.etcd3Only || !LONG ? 20 : 40) * MINUTE,
    );
  }

  it('ran the same tests against the store and against etcd', () => {
    const store = results.get('store');
    const etcd = results.get('etcd');
    if (!store || !etcd) throw new Error('a run above did not finish');
    const names = (r: GoResults) => [...r.passed, ...r.failed, ...r.skipped].sort();
    expect(names(store)).toEqual(names(etcd));
    const etcd3Only = names(etcd).filter((n) => n.startsWith('etcd3/'));
    for (const run of RUNS) {
      const r = results.get(run.name);
      if (r) expect(names(r), run.name).toEqual(run.etcd3Only ? etcd3Only : names(etcd));
    }
  });
});
