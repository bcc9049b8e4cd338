import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../drivers/registry.js';
import { BackendUnavailableError } from '../errors.js';
import type { BackendOpener } from './backend.js';
import { openTestStore, put, type TestStore } from './test-helpers.js';

/**
 * A lease grant or revoke changes the store's lease table as it is applied,
 * before meta.db commits it. When that COMMIT fails, the table must go back
 * to what meta.db holds at once: until the store resynced (the next write,
 * or its retry timer) a failed grant was reported alive and renewed, and a
 * failed revoke's lease answered keep-alives with "not found" while it still
 * held its keys.
 *
 * The failure is injected (the one fake here): meta.db's COMMIT throws once,
 * as SQLite does when the disk is full, which cannot be arranged for one
 * statement on a real disk. The store and its files are otherwise real.
 */
const opened: TestStore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.dispose();
});

/** A store through `opener`, disposed after the test. */
function open(opener: BackendOpener) {
  const t = openTestStore(undefined, { opener });
  opened.push(t);
  return t.store;
}

/** A method of `T` by name. */
type MethodOf<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/**
 * Makes `target[method]` throw `error()` on its next call while `armed[method]`
 * is set, and clears the flag: one injected failure per arming.
 */
function failWhenArmed<T, M extends MethodOf<T> & string>(
  target: T,
  method: M,
  armed: Record<M, boolean>,
  error: () => Error,
): void {
  const call = (target[method] as (...args: unknown[]) => unknown).bind(target);
  target[method] = ((...args: unknown[]) => {
    if (!armed[method]) return call(...args);
    armed[method] = false;
    throw error();
  }) as T[M];
}

function openFaulty() {
  const fault = { commit: false };
  const opener: BackendOpener = {
    ...registry,
    openMeta(dataDir, options) {
      const meta = registry.openMeta(dataDir, options);
      failWhenArmed(meta, 'commit', fault, () =>
        Object.assign(new Error('database or disk is full (injected by the test)'), { code: 'SQLITE_FULL' }),
      );
      return meta;
    },
  };
  return { store: open(opener), fault };
}

describe('a lease change whose meta.db COMMIT fails', () => {
  it('leaves no granted lease behind', async () => {
    const { store, fault } = openFaulty();
    fault.commit = true;
    await expect(store.leaseGrant(7n, 60)).rejects.toThrow('database space exceeded');
    expect(store.leases()).toEqual([]);
    expect(store.leaseTimeToLive(7n, false)).toBeUndefined();
    expect(store.leaseRenew(7n)).toBe(0);
  });

  it('keeps the lease it failed to revoke', async () => {
    const { store, fault } = openFaulty();
    await store.leaseGrant(7n, 60);
    fault.commit = true;
    await expect(store.leaseRevoke(7n)).rejects.toThrow('database space exceeded');
    expect(store.leases()).toEqual([7n]);
    expect(store.leaseRenew(7n)).toBe(60);
  });
});

/**
 * The rows of a batch fail with its backend unreachable, and then neither the backend's revision nor meta.db's
 * leases could be read back (three injected faults, since a real disk cannot fail exactly there): the batch's
 * requests must still be refused, not left waiting for ever, without a read of the backend's revision (with a
 * database away that read would block), and the store resyncs once it can read again.
 */
describe('a failed batch whose state cannot be read back', () => {
  it('still answers its requests without asking the backends for their revision, and writes again', async () => {
    const faults = { put: false, lastRevision: false, leases: false };
    const injected = (what: string) => new BackendUnavailableError(`${what} failed (injected by the test)`);
    const opener: BackendOpener = {
      ...registry,
      openDefault(dataDir, options) {
        const main = registry.openDefault(dataDir, options);
        failWhenArmed(main, 'put', faults, () => injected('the put'));
        failWhenArmed(main, 'lastRevision', faults, () => injected('reading the revision'));
        return main;
      },
      openMeta(dataDir, options) {
        const meta = registry.openMeta(dataDir, options);
        failWhenArmed(meta, 'leases', faults, () => injected('reading the leases'));
        return meta;
      },
    };
    const store = open(opener);
    const write = (key: string) => store.put(put(key, 'v'));
    const before = (await write('/k/before')).revision;
    Object.assign(faults, { put: true, lastRevision: true, leases: true });
    await expect(write('/k/failed')).rejects.toThrow('the put failed');
    // Nothing was committed, so the store goes back to the revision it knows without asking the backends (which
    // would block on one that is unreachable); it re-reads the leases, and that failing is not fatal either.
    expect(faults).toEqual({ put: false, lastRevision: true, leases: false });
    faults.lastRevision = false;
    expect((await write('/k/after')).revision).toBe(before + 1);
  });
});
