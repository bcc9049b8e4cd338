/**
 * `cnpaas pid NAME`: the pid of one running component, for a person's own
 * experiments (the workshop kills the operator with `kill -9 $(npx cnpaas pid
 * operator)` and watches the supervisor restart it). Printed only when the
 * pid still runs what was started, the check `down` and `status` make.
 */
import { PlatformError } from './errors.js';
import { isOurProcess } from './processes.js';
import { readState, type StatePaths } from './state-dir.js';

export function componentPid(paths: StatePaths, name: string | undefined): number {
  const state = readState(paths);
  if (!state) {
    throw new PlatformError('CNPAAS_PLATFORM_NOT_RUNNING', `no cnpaas stack in ${paths.root}`, {
      hint: 'run cnpaas up first (with the same --state-dir or CNPAAS_STATE_DIR)',
    });
  }
  const names = Object.keys(state.components);
  const component = name === undefined ? undefined : state.components[name];
  if (!component) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_USAGE',
      name === undefined ? 'cnpaas pid needs a component name' : `no component "${name}" in ${paths.root}`,
      { hint: `pick one of: ${names.join(', ')}` },
    );
  }
  if (!isOurProcess(component.pid, component.executable, component.startTicks)) {
    throw new PlatformError('CNPAAS_PLATFORM_NOT_RUNNING', `${name} is not running (phase ${component.phase})`, {
      hint: 'see cnpaas status; the supervisor restarts a crashed component within seconds',
    });
  }
  return component.pid;
}
