/**
 * `cnpaas up`: plan (binaries, PKI, ports, kubeconfig), then hand the plan to
 * a detached supervisor and show its progress until every component is
 * ready. Idempotent: a running stack is reported, not doubled.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopStack } from './down.js';
import { PlatformError } from './errors.js';
import { logFile } from './log-files.js';
import { isOurProcess } from './processes.js';
import { planStack, type StackPlan } from './stack-plan.js';
import { displayPath, readState, statePaths, type StatePaths } from './state-dir.js';
import { runSupervisor, supervisorMarker, type SupervisorMessage } from './supervise.js';

export interface UpOptions {
  stateDir: string;
  ports?: 'auto' | 'fixed';
  topology?: string;
  /** Packages (names or directories) exporting a service composition; default DEFAULT_SERVICES (compositions.ts). */
  services?: readonly string[];
  /** `control-plane`: only the store, kube-apiserver and kube-controller-manager. */
  components?: 'all' | 'control-plane';
  /** Run the supervisor in this process until SIGTERM/SIGINT (containers, debugging). */
  foreground?: boolean;
  env?: NodeJS.ProcessEnv;
  say?: (line: string) => void;
}

export interface UpResult {
  alreadyRunning: boolean;
  paths: StatePaths;
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
  kubectl: string | null;
}

const CLI = fileURLToPath(new URL('../bin/cnpaas.js', import.meta.url));

export async function up(options: UpOptions): Promise<UpResult> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = statePaths(options.stateDir);
  const existing = readState(paths);
  if (
    existing?.supervisor &&
    isOurProcess(existing.supervisor.pid, supervisorMarker(paths), existing.supervisor.startTicks)
  ) {
    say(
      `cnpaas is already running in ${paths.root} (supervisor pid ${existing.supervisor.pid}, since ${existing.supervisor.startedAt}); see cnpaas status`,
    );
    return {
      alreadyRunning: true,
      paths,
      kubeconfig: paths.kubeconfig,
      server: `https://127.0.0.1:${existing.ports.apiserver}`,
      ports: existing.ports,
      kubectl: null,
    };
  }
  if (existing) {
    // A supervisor that died hard may have left components running: never start twins.
    await stopStack(paths, () => {});
  }

  say(`cnpaas up: state in ${paths.root}`);
  const plan = await planStack({
    paths,
    ports: options.ports ?? 'fixed',
    topology: options.topology,
    services: options.services,
    components: options.components,
    env: options.env,
    say,
  });
  say(
    `✓ ports: ${Object.entries(plan.ports)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  const show = progressPrinter(say);
  if (options.foreground) {
    const code = await runSupervisor(paths, show);
    if (code !== 0)
      throw new PlatformError('CNPAAS_PLATFORM_COMPONENT_FAILED', 'the stack did not start', {
        hint: `see ${paths.logs}`,
      });
    return result(paths, plan);
  }
  await startDetached(paths, options.env ?? process.env, show);
  say(`ready: kubectl --kubeconfig ${displayPath(paths.kubeconfig)} get ns`);
  if (plan.specs.some((s) => s.name === 'console')) say(`web console: http://127.0.0.1:${plan.ports.console}/`);
  return result(paths, plan);
}

function result(paths: StatePaths, plan: StackPlan): UpResult {
  return {
    alreadyRunning: false,
    paths,
    kubeconfig: paths.kubeconfig,
    server: plan.server,
    ports: plan.ports,
    kubectl: plan.kubectl,
  };
}

function progressPrinter(say: (line: string) => void): (m: SupervisorMessage) => void {
  return (m) => {
    switch (m.type) {
      case 'starting':
        say(`… ${m.name} starting`);
        break;
      case 'ready':
        say(`✓ ${m.name} ready (${(m.ms / 1000).toFixed(1)} s)`);
        break;
      case 'failed':
        say(
          `✗ ${m.name} failed: ${m.reason}\n  last lines of its log:\n${m.logTail.map((l) => `    ${l}`).join('\n')}`,
        );
        break;
      case 'exited':
        say(`! ${m.name} exited (${m.code ?? m.signal}); restarting in ${m.restartInMs} ms`);
        break;
      case 'stopping':
        say(`… stopping ${m.name}`);
        break;
      case 'all-ready':
        break;
    }
  };
}

/** The component's last log line, so the error itself says why (a test report shows only the message). */
function lastWords(logTail: readonly string[]): string {
  const last = logTail.findLast((l) => l.trim() !== '');
  return last === undefined ? '' : `; its log ends: ${last.trim().slice(0, 400)}`;
}

/** `env` reaches every component (e.g. KUBE_WATCHCACHE_CONSISTENCY_CHECKER=true for kube-apiserver). */
function startDetached(paths: StatePaths, env: NodeJS.ProcessEnv, show: (m: SupervisorMessage) => void): Promise<void> {
  const fd = openSync(logFile(paths.logs, 'supervisor'), 'a', 0o600);
  const child = spawn(process.execPath, [CLI, 'supervise', '--state-dir', paths.root], {
    detached: true,
    env,
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    let failed: PlatformError | null = null;
    child.on('message', (m: SupervisorMessage) => {
      show(m);
      if (m.type === 'failed') {
        failed = new PlatformError(
          'CNPAAS_PLATFORM_COMPONENT_FAILED',
          `${m.name} did not become ready: ${m.reason}${lastWords(m.logTail)}`,
          { hint: `read ${logFile(paths.logs, m.name)}; fix the cause and run cnpaas up again` },
        );
      }
      if (m.type === 'all-ready') {
        child.removeAllListeners('exit');
        child.disconnect();
        child.unref();
        resolve();
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      reject(
        failed ??
          new PlatformError(
            'CNPAAS_PLATFORM_COMPONENT_FAILED',
            `the supervisor exited (code ${code}) before the stack was ready`,
            { hint: `read ${logFile(paths.logs, 'supervisor')}` },
          ),
      );
    });
  });
}
