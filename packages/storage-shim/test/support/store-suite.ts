import { afterAll, beforeAll } from 'vitest';
import { connect, type EtcdClient } from './client.js';
import { type ServerHandle, type StoreOptions, startStore } from './processes.js';

/** A client to close or a server to stop; undefined where a failed beforeAll never made it. */
export type Part = { close(): void } | { stop(): Promise<void> } | undefined;

/** Closes and stops what a suite made, in the order given, skipping what it never made. */
export async function shutDown(...parts: Part[]): Promise<void> {
  for (const part of parts) {
    if (part === undefined) continue;
    if ('stop' in part) await part.stop();
    else part.close();
  }
}

export interface StoreSuite {
  readonly store: ServerHandle;
  readonly client: EtcdClient;
}

/**
 * One store and a client on it for the suite that calls this: started in a
 * beforeAll, closed and stopped in an afterAll. `options` may be a function
 * for what is known only once the suite runs (a free port).
 */
export function useStore(options: StoreOptions | (() => Promise<StoreOptions>) = {}): StoreSuite {
  let store: ServerHandle | undefined;
  let client: EtcdClient | undefined;
  beforeAll(async () => {
    store = await startStore(typeof options === 'function' ? await options() : options);
    client = connect(store.target);
  });
  afterAll(() => shutDown(client, store));
  const started = <T>(part: T | undefined): T => {
    if (part === undefined) throw new Error('the suite store starts in beforeAll: use it inside a hook or a test');
    return part;
  };
  return {
    get store() {
      return started(store);
    },
    get client() {
      return started(client);
    },
  };
}
