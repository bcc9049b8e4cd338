/**
 * The one supervisor (docs/design.md "Contracts between packages"): starts
 * process specs in order, each only after the one before answered ready;
 * restarts a crashed process with exponential backoff; stops everything in
 * reverse order. It reports what happens as events and in state.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessSpec } from './control-plane.js';
import { PlatformError } from './errors.js';
import { probe } from './health.js';
import { logFile, tailLines } from './log-files.js';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';

export type SupervisorEvent =
  | { type: 'starting'; name: string }
  | { type: 'ready'; name: string; ms: number }
  | { type: 'failed'; name: string; reason: string; logTail: string[] }
  | { type: 'exited'; name: string; code: number | null; signal: string | null; restartInMs: number }
  | { type: 'stopping'; name: string };

export interface ComponentStatus {
  name: string;
  pid: number | null;
  phase: 'starting' | 'ready' | 'restarting' | 'stopped' | 'failed';
  restarts: number;
  log: string;
  readyUrl: string;
  /** The CA that signed the component's serving certificate, for probing readyUrl over https. */
  readyCaFile: string | null;
  executable: string;
  /** The pid's start time (/proc/<pid>/stat), so `cnpaas down` can tell it from a later process with the same pid; null off Linux. */
  startTicks: number | null;
}

export interface SupervisorOptions {
  specs: ProcessSpec[];
  logsDir: string;
  onEvent?: (event: SupervisorEvent) => void;
  /** Called whenever a component's pid or phase changes (state.json). */
  onChange?: (components: ComponentStatus[]) => void;
  /** First restart delay; doubles per crash up to 30 s. */
  restartBaseMs?: number;
  /** Grace between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
  /** Applies a spec's manifests (kubectl as the admin); required when a spec has any. */
  applyManifests?: (files: string[], vars: Record<string, string>) => Promise<void>;
  /** Deletes a spec's `removeOnStop` manifests; best effort, a failure is only reported. */
  removeManifests?: (files: string[], vars: Record<string, string>) => Promise<void>;
}

interface Running {
  spec: ProcessSpec;
  status: ComponentStatus;
  child: ChildProcess | null;
  exited: Promise<void>;
  startedAt: number;
  restartTimer: NodeJS.Timeout | null;
  /** Restarts are for crashes of a component that once worked; a failed start fails `start()`. */
  everReady: boolean;
}

const MAX_RESTART_DELAY_MS = 30_000;
/** A process that stayed up this long is healthy again: its backoff resets. */
const HEALTHY_AFTER_MS = 60_000;

/** What identifies a spec's process in `ps`: the node script, or the binary. */
export function executableOf(spec: ProcessSpec): string {
  const [first, second] = spec.command;
  return first === process.execPath && second ? second : (first ?? spec.name);
}

export class Supervisor {
  private readonly running: Running[] = [];
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  /** Starts every spec in order; on a failure stops what it started and throws. */
  async start(): Promise<void> {
    for (const spec of this.options.specs) {
      if (this.stopping) return;
      const before = spec.manifests?.beforeStart ?? [];
      if (before.length > 0) await this.apply(spec, before);
      const entry = this.launch(spec, 0);
      const started = Date.now();
      this.emit({ type: 'starting', name: spec.name });
      const failure = await this.waitReady(entry);
      if (failure) {
        const logTail = tailLines(entry.status.log, 15);
        entry.status.phase = 'failed';
        this.emit({ type: 'failed', name: spec.name, reason: failure, logTail });
        await this.stop();
        throw new PlatformError('CNPAAS_PLATFORM_COMPONENT_FAILED', `${spec.name} did not become ready: ${failure}`, {
          hint: `read ${entry.status.log} (last lines above)`,
        });
      }
      const after = spec.manifests?.afterReady ?? [];
      // Registrations only once the server answers: a webhook or APIService pointing at
      // nothing would fail every matching request (docs/design.md "Registrations").
      if (after.length > 0) await this.apply(spec, after);
      entry.everReady = true;
      this.setPhase(entry, 'ready');
      this.emit({ type: 'ready', name: spec.name, ms: Date.now() - started });
    }
  }

  private async apply(spec: ProcessSpec, files: string[]): Promise<void> {
    if (!this.options.applyManifests)
      throw new Error(`${spec.name} has manifests but the supervisor has no way to apply them`);
    try {
      await this.options.applyManifests(files, spec.manifests?.vars ?? {});
    } catch (err) {
      this.emit({ type: 'failed', name: spec.name, reason: (err as Error).message, logTail: [] });
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.running].reverse()) {
      if (entry.restartTimer) clearTimeout(entry.restartTimer);
      const child = entry.child;
      const remove = entry.spec.manifests?.removeOnStop ?? [];
      if (remove.length > 0 && entry.everReady && this.options.removeManifests) {
        await this.options.removeManifests(remove, entry.spec.manifests?.vars ?? {}).catch((err: Error) =>
          this.emit({
            type: 'failed',
            name: entry.spec.name,
            reason: `removing ${remove.join(', ')}: ${err.message}`,
            logTail: [],
          }),
        );
      }
      if (child && child.exitCode === null && child.signalCode === null) {
        this.emit({ type: 'stopping', name: entry.spec.name });
        child.kill('SIGTERM');
        const grace = sleep(this.options.stopGraceMs ?? 15_000, 'timeout' as const);
        if ((await Promise.race([entry.exited.then(() => 'exited' as const), grace])) === 'timeout') {
          child.kill('SIGKILL');
          await entry.exited;
        }
      }
      this.setPhase(entry, 'stopped');
    }
  }

  components(): ComponentStatus[] {
    return this.running.map((r) => ({ ...r.status }));
  }

  private launch(spec: ProcessSpec, restarts: number, existing?: Running): Running {
    const log = logFile(this.options.logsDir, spec.name);
    const fd = openSync(log, 'a', 0o600);
    const [command, ...args] = spec.command;
    let child: ChildProcess;
    try {
      child = spawn(command ?? '', args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...spec.env } });
    } finally {
      closeSync(fd);
    }
    const entry: Running = existing ?? {
      spec,
      status: {
        name: spec.name,
        pid: null,
        phase: 'starting',
        restarts,
        log,
        readyUrl: spec.readyUrl,
        readyCaFile: spec.readyCaFile ?? null,
        executable: executableOf(spec),
        startTicks: null,
      },
      child: null,
      exited: Promise.resolve(),
      startedAt: Date.now(),
      restartTimer: null,
      everReady: false,
    };
    if (!existing) this.running.push(entry);
    entry.child = child;
    entry.startedAt = Date.now();
    entry.status.pid = child.pid ?? null;
    // Read now, while the child cannot have been reaped: its pid is still its own.
    entry.status.startTicks = processStartTicks(entry.status.pid) ?? null;
    entry.status.restarts = restarts;
    entry.exited = new Promise((resolve) => {
      child.once('error', () => resolve());
      child.once('exit', (code, signal) => {
        resolve();
        this.onExit(entry, code, signal);
      });
    });
    this.setPhase(entry, 'starting');
    return entry;
  }

  private onExit(entry: Running, code: number | null, signal: NodeJS.Signals | null): void {
    entry.status.pid = null;
    entry.status.startTicks = null;
    if (this.stopping || !entry.everReady) return;
    const restarts = Date.now() - entry.startedAt > HEALTHY_AFTER_MS ? 0 : entry.status.restarts + 1;
    const delay = Math.min(
      MAX_RESTART_DELAY_MS,
      (this.options.restartBaseMs ?? 1_000) * 2 ** Math.max(0, restarts - 1),
    );
    this.emit({ type: 'exited', name: entry.spec.name, code, signal, restartInMs: delay });
    this.setPhase(entry, 'restarting');
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = null;
      if (this.stopping) return;
      this.launch(entry.spec, restarts, entry);
      void this.waitReady(entry).then((failure) => {
        if (!failure && !this.stopping) {
          this.setPhase(entry, 'ready');
          this.emit({ type: 'ready', name: entry.spec.name, ms: Date.now() - entry.startedAt });
        }
      });
    }, delay);
  }

  /** Resolves null once ready, else why not (exit, timeout). */
  private async waitReady(entry: Running): Promise<string | null> {
    const child = entry.child;
    const deadline = Date.now() + entry.spec.readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        return `the process exited (${child?.exitCode !== null ? `code ${child?.exitCode}` : `signal ${child?.signalCode}`})`;
      }
      if (this.stopping) return 'stopped';
      const result = await probe(entry.spec.readyUrl, entry.spec.readyCaFile);
      if (result.ok) return null;
      last = result.detail;
      await sleep(250);
    }
    return `${entry.spec.readyUrl} not ready after ${Math.round(entry.spec.readyTimeoutMs / 1000)} s (last: ${last})`;
  }

  private setPhase(entry: Running, phase: ComponentStatus['phase']): void {
    entry.status.phase = phase;
    this.options.onChange?.(this.components());
  }

  private emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }
}
