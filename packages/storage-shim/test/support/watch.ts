import type * as grpc from '@grpc/grpc-js';
import type { EtcdClient } from './client.js';

/** A raw Watch stream that records every response, for tests. */
export class WatchStream {
  readonly responses: any[] = [];
  readonly #call: grpc.ClientDuplexStream<any, any>;
  #waiters: Array<() => void> = [];
  ended = false;

  constructor(client: EtcdClient) {
    this.#call = (client.watch as any).Watch();
    this.#call.on('data', (r: any) => {
      this.responses.push(r);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#call.on('end', () => {
      this.ended = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.#call.on('error', () => {
      this.ended = true;
    });
  }

  create(request: Record<string, unknown>): void {
    this.#call.write({ create_request: request });
  }

  cancel(watchId: number): void {
    this.#call.write({ cancel_request: { watch_id: watchId } });
  }

  requestProgress(): void {
    this.#call.write({ progress_request: {} });
  }

  /** Waits until `predicate` holds over the responses so far. */
  async until(predicate: (responses: any[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.responses)) {
      if (this.ended) throw new Error('watch stream ended');
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`watch condition not met after ${timeoutMs} ms; got ${this.responses.length} responses`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events of one watcher, in arrival order. */
  events(watchId: number): any[] {
    return this.responses.filter((r) => Number(r.watch_id) === watchId).flatMap((r) => r.events ?? []);
  }

  close(): void {
    this.#call.end();
    this.#call.cancel();
  }
}
