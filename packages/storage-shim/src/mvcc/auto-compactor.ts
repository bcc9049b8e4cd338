import type { Logger } from 'pino';
import { EtcdError } from '../errors.js';

export interface AutoCompactorOptions {
  mode: 'periodic' | 'revision';
  /** periodic: milliseconds of history to keep; revision: revisions to keep. */
  retention: number;
  revision(): number;
  compactRevision(): number;
  compact(revision: number): Promise<void>;
  log: Logger;
  now?: () => number;
}

/**
 * Retention, so the files don't grow forever even without kube-apiserver's own
 * compaction. Like etcd: periodic keeps `retention` worth of history, checked
 * every tenth of it (at most hourly); revision keeps the last N revisions,
 * checked every five minutes.
 */
export class AutoCompactor {
  readonly #timer: NodeJS.Timeout;
  readonly #samples: Array<{ at: number; revision: number }> = [];

  constructor(private readonly options: AutoCompactorOptions) {
    const interval = options.mode === 'periodic' ? Math.min(options.retention / 10, 3_600_000) : 300_000;
    // tick() catches its own failures, so nothing is left to reject here.
    // tick() catches its own failures: nothing is left to reject here.
    this.#timer = setInterval(() => void this.tick(), Math.max(interval, 1000));
    this.#timer.unref();
  }

  /** One check; exposed so tests can drive it without waiting. */
  async tick(): Promise<void> {
    const { mode, retention, log } = this.options;
    const now = (this.options.now ?? Date.now)();
    const current = this.options.revision();
    let target: number | undefined;
    if (mode === 'revision') {
      target = current - retention;
    } else {
      this.#samples.push({ at: now, revision: current });
      while (this.#samples.length > 1 && now - this.#samples[1]!.at >= retention) this.#samples.shift();
      const oldest = this.#samples[0]!;
      if (now - oldest.at >= retention) target = oldest.revision;
    }
    if (target === undefined || target <= this.options.compactRevision() || target < 1) return;
    try {
      await this.options.compact(target);
      log.info({ revision: target, mode }, 'auto-compacted');
    } catch (err) {
      if (!(err instanceof EtcdError)) log.error({ err }, 'auto-compaction failed');
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
