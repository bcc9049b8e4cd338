/**
 * The supervisor process (`cnpaas supervise`, started detached by `cnpaas
 * up`): runs the plan, keeps state.json current, reports progress to `up`
 * over IPC while it is connected, and stops everything on SIGTERM/SIGINT.
 * Its own log (pino JSON) is `<state-dir>/logs/supervisor.log`.
 */
import pino from 'pino';
import { applyManifests, deleteManifests } from './apply-manifests.js';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';
import { readPlan } from './stack-plan.js';
import { writeState, type PlatformState, type StatePaths } from './state-dir.js';
import { Supervisor, type SupervisorEvent } from './supervisor.js';

export type SupervisorMessage = SupervisorEvent | { type: 'all-ready' };

/** What identifies this stack's supervisor in `ps`. */
export function supervisorMarker(paths: StatePaths): string {
  return `supervise --state-dir ${paths.root}`;
}

function send(message: SupervisorMessage): void {
  if (process.send && process.connected) process.send(message);
}

/** Resolves once the supervisor has stopped (signal) or failed to start. */
export async function runSupervisor(
  paths: StatePaths,
  onMessage: (m: SupervisorMessage) => void = send,
): Promise<number> {
  const log = pino({ base: { component: 'supervisor' } });
  const plan = readPlan(paths);
  const state: PlatformState = {
    version: 1,
    ports: plan.ports,
    topology: plan.topology,
    supervisor: {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      startTicks: processStartTicks(process.pid) ?? null,
    },
    components: {},
    readyAt: null,
  };
  const save = () => writeState(paths, state);
  save();
  const supervisor = new Supervisor({
    specs: plan.specs,
    logsDir: paths.logs,
    applyManifests: (files, vars) =>
      applyManifests({ kubectl: plan.kubectl, kubeconfig: paths.kubeconfig, files, vars }),
    removeManifests: (files, vars) =>
      deleteManifests({ kubectl: plan.kubectl, kubeconfig: paths.kubeconfig, files, vars }),
    onEvent: (event) => {
      log.info(event.type === 'failed' ? { ...event, logTail: undefined } : event, `${event.name} ${event.type}`);
      onMessage(event);
    },
    onChange: (components) => {
      state.components = Object.fromEntries(
        components.map((c) => [
          c.name,
          {
            pid: c.pid,
            phase: c.phase,
            restarts: c.restarts,
            log: c.log,
            healthUrl: c.readyUrl,
            healthCaFile: c.readyCaFile,
            executable: c.executable,
            startTicks: c.startTicks,
          },
        ]),
      );
      save();
    },
  });

  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping every component');
    void supervisor.stop().then(() => {
      state.supervisor = null;
      state.readyAt = null;
      save();
      log.info('stopped');
      done(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // `up` disconnects once the stack is ready; the supervisor lives on.
  process.on('disconnect', () => log.info('cnpaas up detached'));

  try {
    await supervisor.start();
  } catch (err) {
    log.error({ err }, 'start failed');
    state.supervisor = null;
    save();
    return 1;
  }
  if (stopping) return finished;
  state.readyAt = new Date().toISOString();
  save();
  log.info('every component is ready');
  onMessage({ type: 'all-ready' });
  return finished;
}
