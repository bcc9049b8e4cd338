import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopStack } from './down.js';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';
import { readState, statePaths, writeState, type StatePaths } from './state-dir.js';

// A recorded pid whose start time no longer matches is someone else's process
// (a pid reused after a reboot, or by another stack): `down` must leave it alone.
describe.runIf(process.platform === 'linux')('cnpaas down and reused pids', () => {
  let paths: StatePaths;
  let child: ChildProcess;
  let exited: Promise<NodeJS.Signals | null>;
  const said: string[] = [];
  beforeEach(() => {
    paths = statePaths(mkdtempSync(path.join(tmpdir(), 'cnp-down-')));
    child = spawn('sleep', ['300'], { stdio: 'ignore' });
    exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    said.length = 0;
  });
  afterEach(() => {
    child.kill('SIGKILL');
    rmSync(paths.root, { recursive: true, force: true });
  });

  function record(startTicks: number | null | undefined): void {
    writeState(paths, {
      version: 1,
      ports: {},
      topology: '',
      supervisor: null,
      readyAt: null,
      components: {
        store: {
          pid: child.pid!,
          phase: 'ready',
          restarts: 0,
          log: '',
          healthUrl: '',
          executable: 'sleep',
          startTicks,
        },
      },
    });
  }

  it('does not signal a pid that now has another start time, and says why', async () => {
    record(processStartTicks(child.pid!)! + 1);
    expect(await stopStack(paths, (line) => said.push(line))).toBe(false);
    expect(said).toEqual([
      `! store: pid ${child.pid} now belongs to another process (not the command line or start time cnpaas recorded); treating store as gone, not signalling it`,
    ]);
    await sleep(200);
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    expect(readState(paths)!.components.store).toMatchObject({ pid: null, phase: 'stopped' });
  });

  it('signals the pid when its start time is the one recorded', async () => {
    record(processStartTicks(child.pid!));
    expect(await stopStack(paths, (line) => said.push(line))).toBe(true);
    expect(await exited).toBe('SIGTERM');
    expect(said).toEqual([`… stopping store (pid ${child.pid}), left by a supervisor that is gone`]);
  });

  it('falls back to the command line for a record without a start time (an older state.json, or no /proc)', async () => {
    record(undefined);
    expect(await stopStack(paths, (line) => said.push(line))).toBe(true);
    expect(await exited).toBe('SIGTERM');
  });
});
