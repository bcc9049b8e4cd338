/**
 * `cnpaas down`: stop the supervisor (it stops its components in reverse
 * order), then any component a dead supervisor left behind, by pid and only
 * if the pid still runs what we started. `--purge` removes the state dir.
 */
import { existsSync, rmSync } from 'node:fs';
import { PlatformError } from './errors.js';
import { isOurProcess, terminate } from './processes.js';
import { displayPath, readState, statePaths, writeState, type StatePaths } from './state-dir.js';
import { supervisorMarker } from './supervise.js';

export interface DownOptions {
  stateDir: string;
  purge?: boolean;
  say?: (line: string) => void;
}

export async function stopStack(paths: StatePaths, say: (line: string) => void): Promise<boolean> {
  const state = readState(paths);
  if (!state) return false;
  let stopped = false;
  if (state.supervisor && isOurProcess(state.supervisor.pid, supervisorMarker(paths))) {
    say(`… stopping the supervisor (pid ${state.supervisor.pid}) and its components`);
    await terminate(state.supervisor.pid, supervisorMarker(paths), 90_000);
    stopped = true;
  }
  const after = readState(paths) ?? state;
  for (const [name, component] of Object.entries(after.components)) {
    if (isOurProcess(component.pid, component.executable)) {
      say(`… stopping ${name} (pid ${component.pid}), left by a supervisor that is gone`);
      await terminate(component.pid, component.executable, 15_000);
      stopped = true;
    }
    component.pid = null;
    component.phase = 'stopped';
  }
  after.supervisor = null;
  after.readyAt = null;
  writeState(paths, after);
  return stopped;
}

export async function down(options: DownOptions): Promise<void> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = statePaths(options.stateDir);
  const stopped = await stopStack(paths, say);
  say(stopped ? `✓ stopped cnpaas in ${paths.root}` : `nothing was running in ${paths.root}`);
  if (!options.purge) return;
  if (!existsSync(paths.root)) return;
  // Only ever delete a directory that looks like ours.
  if (!existsSync(paths.stateFile) && !existsSync(paths.pki)) {
    throw new PlatformError('CNPAAS_PLATFORM_STATE', `${paths.root} has no state.json or pki/: not a cnpaas state directory, not removing it`,
      'check --state-dir / CNPAAS_STATE_DIR');
  }
  rmSync(paths.root, { recursive: true, force: true });
  say(`✓ removed ${displayPath(paths.root)} (data, PKI, logs)`);
}
