import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/** Triggers WAL checkpoints in a worker thread, at most one round at a time. */
export class Checkpointer {
  readonly #worker: Worker;
  #busy = false;
  #timer: NodeJS.Timeout;

  constructor(paths: () => string[], intervalMs: number, log: Logger) {
    this.#worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (m: unknown) => {
      if (m === 'done') this.#busy = false;
      else if (typeof m === 'object' && m && 'error' in m)
        log.warn({ error: (m as { error: string }).error }, 'checkpoint failed');
    });
    this.#worker.on('error', (err) => log.error({ err }, 'checkpoint worker failed'));
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.#worker.postMessage({ paths: paths() });
    }, intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker.terminate();
  }
}
