import { call, connect } from './client.js';
import type { ServerHandle } from './processes.js';

/** What a store holds in a key range: its revision, and each key's mod revision. */
export interface ModRevisions {
  revision: number;
  kvs: Map<string, number>;
}

/** Reads every key in [key, rangeEnd) with its mod revision, over a client of its own. */
export async function readModRevisions(store: ServerHandle, key: string, rangeEnd: string): Promise<ModRevisions> {
  const client = connect(store.target);
  try {
    const r = await call(client.kv, 'Range', {
      key: Buffer.from(key),
      range_end: Buffer.from(rangeEnd),
      keys_only: true,
    });
    return {
      revision: Number(r.header.revision),
      kvs: new Map((r.kvs as any[]).map((kv) => [String(kv.key), Number(kv.mod_revision)])),
    };
  } finally {
    client.close();
  }
}

export interface LoadOptions {
  /** How many writers run at once. */
  writers: number;
  /** How long they write before the kill. */
  killAfterMs: number;
  /** Writes per writer at most, so that a run whose kill comes late still ends. */
  maxWrites?: number;
}

/**
 * Runs writers against `store`, kills it with SIGKILL while they write, and
 * waits for every writer to stop. Writer `w` calls `write(w, i)` for
 * i = 0, 1, … and stops at the kill or at the first write that fails: the
 * store went away mid-request, so that write was not acknowledged and
 * `write` must record nothing before its request is answered.
 */
export async function killUnderLoad(
  store: ServerHandle,
  options: LoadOptions,
  write: (w: number, i: number) => Promise<void>,
): Promise<void> {
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; i < (options.maxWrites ?? 10_000) && !stop; i++) {
      try {
        await write(w, i);
      } catch {
        return;
      }
    }
  };
  const writers = Array.from({ length: options.writers }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, options.killAfterMs));
  await store.kill();
  stop = true;
  await Promise.all(writers);
}
