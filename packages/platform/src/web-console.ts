/**
 * `cnpaas console`: where the running stack's web console is, and opening
 * it in a browser. `cnpaas up` starts the console on 127.0.0.1 without a
 * token (loopback only, like every server of the stack; packages/console's
 * README, "Security model"), so its address is the whole story: no token
 * goes into the URL.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_SERVICES } from './compositions.js';
import { PlatformError } from './errors.js';
import { isOurProcess } from './processes.js';
import { readState, type PlatformState, type StatePaths } from './state-dir.js';
import { supervisorMarker } from './supervise.js';

/** The console's address from a state file, or null when the stack runs without it (`--control-plane-only`, no service that has one). */
export function consoleUrl(state: Pick<PlatformState, 'ports' | 'components'>): string | null {
  const port = state.ports.console;
  if (port === undefined || !state.components.console) return null;
  return `http://127.0.0.1:${port}/`;
}

/** The running stack's console address; a clear error when there is no stack or no console. */
export function runningConsoleUrl(paths: StatePaths): string {
  const state = readState(paths);
  if (!state?.supervisor || !isOurProcess(state.supervisor.pid, supervisorMarker(paths), state.supervisor.startTicks)) {
    throw new PlatformError('CNPAAS_PLATFORM_NOT_RUNNING', `no cnpaas stack is running in ${paths.root}`, {
      hint: 'run cnpaas up first (with the same --state-dir or CNPAAS_STATE_DIR)',
    });
  }
  const url = consoleUrl(state);
  if (url === null) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_NOT_RUNNING',
      `the stack in ${paths.root} runs without a web console (started with --control-plane-only, or with services that have no component console)`,
      {
        hint: `run cnpaas down, then cnpaas up without --control-plane-only and with a service that has one (without --service: ${DEFAULT_SERVICES.join(', ')})`,
      },
    );
  }
  return url;
}

/** The program that hands a URL to the desktop's browser: `open` on macOS, `xdg-open` elsewhere. */
export function browserOpener(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'open' : 'xdg-open';
}

export interface OpenOptions {
  url: string;
  /** Default: browserOpener(). */
  command?: string;
  /** How long to wait for the opener to report failure before taking silence as success. */
  waitMs?: number;
}

/**
 * Asks the desktop to open `url`. Resolves with null once the opener
 * exited 0 (or is still running after `waitMs`: some openers stay while the
 * browser starts), or with why it did not work (not installed, no desktop),
 * so the caller can fall back to printing the address.
 */
export function openInBrowser(options: OpenOptions): Promise<string | null> {
  const command = options.command ?? browserOpener();
  return new Promise((resolve) => {
    const child = spawn(command, [options.url], { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve(null);
    }, options.waitMs ?? 3_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(`${command} could not run (${err.message})`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `${command} exited with ${code ?? signal}`);
    });
  });
}
