import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/**
 * The size a WAL file is cut back to once its pages are in the database
 * (--wal-size-limit). SQLite reuses a WAL from its start after a complete
 * checkpoint but never shrinks the file by itself, and under steady writes
 * a passive checkpoint never completes, so without a limit the WAL kept the
 * size of everything written since the last pause (more than twice the
 * database after 100k puts).
 */
export const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

export interface CheckpointerOptions {
  /** The files to checkpoint, asked for on every round (routed backends come and go). */
  paths: () => string[];
  intervalMs: number;
  /** Default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  log: Logger;
}

/** What one round asks of the worker (checkpoint-worker.ts). */
export interface CheckpointRound {
  paths: string[];
  walSizeLimitBytes: number;
}

/**
 * Triggers WAL checkpoints in a worker thread, at most one round at a time.
 * Each round copies what it can without blocking anyone (PASSIVE); a WAL
 * over the limit is emptied (TRUNCATE) once writes to its file pause, or
 * restarted while they go on once it is far over (checkpoint-worker.ts says
 * how that is kept short).
 */
export class Checkpointer {
  readonly #worker: Worker;
  #busy = false;
  #timer: NodeJS.Timeout;

  constructor(options: CheckpointerOptions) {
    const { paths, intervalMs, log } = options;
    const walSizeLimitBytes = options.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES;
    this.#worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (m: unknown) => {
      if (m === 'done') this.#busy = false;
      else if (typeof m === 'object' && m && 'error' in m)
        log.warn({ error: (m as { error: string }).error }, 'checkpoint failed');
      else if (typeof m === 'object' && m && 'deferred' in m) {
        const msg =
          'WAL over its limit: the checkpoint could not empty it this round (a writer or readers held it); trying again';
        if ('starved' in m && m.starved === true) log.warn(m, msg);
        else log.debug(m, msg);
      }
    });
    this.#worker.on('error', (err) => log.error({ err }, 'checkpoint worker failed'));
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      const round: CheckpointRound = { paths: paths(), walSizeLimitBytes };
      this.#worker.postMessage(round);
    }, intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker.terminate();
  }
}
