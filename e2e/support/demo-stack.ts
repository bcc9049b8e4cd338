/**
 * The stack an e2e file runs against.
 *
 * - `nx run e2e` (CNPAAS_E2E_MODE=demo, tests/demo.live.test.ts only: the fault and
 *   security suites kill and freeze components, which a person's stack must not
 *   suffer) is the live demo: the state lives in
 *   the repo's `.cnpaas/` (or CNPAAS_STATE_DIR) so `cnpaas status` and
 *   kubectl work afterwards, fixed ports when free. The stack is taken down
 *   at the end unless CNPAAS_E2E_KEEP=1 (`npm run demo -- --keep`), and a
 *   stack that was already running is left running.
 * - `npm test` uses a temp state dir with free ports and always removes it.
 *
 * CNPAAS_E2E_TOPOLOGY (`npm run demo -- --topology FILE`) runs the stack on
 * that topology; the PostgreSQL and MariaDB servers it names are started
 * first when they are not running (local-databases.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@cnpaas/kube';
import { down, kubeClientFromPki, status, up, type KubectlResult, type UpResult } from '@cnpaas/platform';
import { kubectlFor } from './kubectl.js';
import { type BackendPlace, type LocalDatabases, startLocalDatabases } from './local-databases.js';
import { say } from './narrate.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO = process.env.CNPAAS_E2E_MODE === 'demo';

export interface DemoStack {
  stateDir: string;
  result: UpResult;
  http: KubeClient;
  kubectl(args: string[], input?: string): Promise<string>;
  /** Like kubectl, but resolves with the exit code instead of failing (`auth can-i` exits 1 for "no"). */
  kubectlRun(args: string[], input?: string): Promise<KubectlResult>;
  kubectlJson<T = any>(args: string[]): Promise<T>;
  /** Every backend of the stack's topology, then main, each able to find keys by a needle. */
  backends(): Promise<BackendPlace[]>;
  close(): Promise<void>;
}

export async function openStack(progress: (line: string) => void = say): Promise<DemoStack> {
  const stateDir = DEMO
    ? path.resolve(process.env.CNPAAS_STATE_DIR ?? path.join(REPO_ROOT, '.cnpaas'))
    : mkdtempSync(path.join(tmpdir(), 'cnp-e2e-'));
  // The test suites send tens to hundreds of registrations as one admin to load the pipeline; the API server's
  // per-caller limit (unit-tested in @cnpaas/api-server) would answer most with 429, so their stacks lift it.
  // The demo keeps the default a person gets.
  const baseEnv = DEMO
    ? process.env
    : { ...process.env, CNPAAS_API_REGISTRATION_RATE: process.env.CNPAAS_API_REGISTRATION_RATE ?? '0' };
  const topology = process.env.CNPAAS_E2E_TOPOLOGY
    ? path.resolve(REPO_ROOT, process.env.CNPAAS_E2E_TOPOLOGY)
    : undefined;
  let databases: LocalDatabases | undefined;
  if (topology) {
    progress(`topology ${path.relative(REPO_ROOT, topology)}: starting the databases it names that are not running`);
    databases = await startLocalDatabases({
      topologyFile: topology,
      dataDir: path.join(stateDir, 'data'),
      env: baseEnv,
    });
    for (const line of databases.started) progress(`✓ ${line}`);
  }
  const env = { ...baseEnv, ...databases?.env };
  const start = (ports: 'fixed' | 'auto') => up({ stateDir, ports, topology, say: progress, env });
  const result = await start(DEMO ? 'fixed' : 'auto')
    .catch(async (err: Error) => {
      // A demo on a machine with a busy 6443 still runs, on free ports.
      if (!DEMO || !/not free/.test(err.message)) throw err;
      progress(`fixed ports busy (${err.message}); using free ports`);
      return start('auto');
    })
    .catch(async (err: Error) => {
      await databases?.stop();
      throw err;
    });
  const kubectlPath = result.kubectl ?? 'kubectl';
  const kubectl = kubectlFor({ kubectl: kubectlPath, kubeconfig: result.kubeconfig });
  const kubectlRun = kubectl.run;
  const http = kubeClientFromPki({ server: result.server, pkiDir: path.join(stateDir, 'pki') });
  return {
    stateDir,
    result,
    http,
    kubectl,
    kubectlRun,
    kubectlJson: async (args) => JSON.parse(await kubectl([...args, '-o', 'json'])),
    async backends() {
      if (databases) return databases.backends;
      // The topology cnpaas up planned with (one service's file, or the services' merged one): SQLite only here.
      const plan = JSON.parse(readFileSync(path.join(stateDir, 'run', 'plan.json'), 'utf8')) as { topology: string };
      const merged = await startLocalDatabases({
        topologyFile: plan.topology,
        dataDir: path.join(stateDir, 'data'),
        env,
      });
      return merged.backends;
    },
    async close() {
      http.close();
      // Servers started here are this process's children and end with it, so a stack on them cannot be kept.
      const ownsDatabases = Object.keys(databases?.env ?? {}).length > 0;
      if (DEMO && (result.alreadyRunning || process.env.CNPAAS_E2E_KEEP === '1') && !ownsDatabases) {
        say(`the stack keeps running in ${stateDir}: npx cnpaas status, npx cnpaas down when done`);
        const consoleUrl = (await status(stateDir)).consoleUrl;
        if (consoleUrl) say(`web console: ${consoleUrl} (npx cnpaas console prints it again; --open opens it)`);
        return;
      }
      if (DEMO && process.env.CNPAAS_E2E_KEEP === '1')
        say(
          'not kept: the stack needs the databases the demo started, which end with it; run your own servers there to keep it',
        );
      await down({ stateDir, purge: !DEMO, say: DEMO ? say : () => {} });
      await databases?.stop();
    },
  };
}
