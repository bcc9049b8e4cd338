/**
 * The life of a process once it started: it works until SIGTERM or SIGINT,
 * closes gracefully and exits 0; it exits 1 when the work failed, so its
 * supervisor restarts it with a clean slate. SIGHUP reloads the
 * certificates: rotation without a restart.
 */
import { once } from 'node:events';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';

export interface RunUntilStoppedOptions {
  log: Logger;
  /**
   * The work, until `stop` aborts. Resolving is a clean stop; rejecting (a
   * lost leader Lease, say) exits 1. Default: wait for `stop`, for a server
   * whose listener does the work.
   */
  run?(stop: AbortSignal): Promise<void>;
  /** Runs after the work ended either way; a server closes here, letting requests in flight finish. */
  close?(): Promise<void>;
  /** SIGHUP: re-read the certificates. When it throws, the current ones stay. */
  reload?(): void;
}

export async function runUntilStopped(options: RunUntilStoppedOptions): Promise<never> {
  const { log } = options;
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    log.info({ signal }, 'stopping');
    stop.abort();
  };
  // Once each: a second SIGTERM kills the process the default way, should the graceful close hang.
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  if (options.reload) {
    process.on('SIGHUP', () => {
      try {
        options.reload?.();
        log.info('certificates reloaded');
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'certificate reload failed; keeping the current certificates');
      }
    });
  }

  let code = 0;
  try {
    await (options.run ?? untilAborted)(stop.signal);
  } catch (err) {
    code = 1;
    log.error({ err: errorMessage(err) }, 'failed; exiting so the supervisor restarts it');
  }
  try {
    await options.close?.();
  } catch (err) {
    code = 1;
    log.error({ err: errorMessage(err) }, 'stop failed');
  }
  if (code === 0) log.info('stopped');
  // The kit's logger writes synchronously (logger.ts): every line above is out already.
  process.exit(code);
}

async function untilAborted(signal: AbortSignal): Promise<void> {
  await once(signal, 'abort');
}
