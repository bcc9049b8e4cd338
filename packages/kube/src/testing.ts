/**
 * In-memory stand-ins for unit tests of controllers: `MemoryCollection`, a
 * `ListerWatcher` (writes bump a resourceVersion and reach open watches; list
 * failures, ended watches and 410 Gone on demand), `MemoryLease` for leader
 * election with optimistic concurrency, a silent logger and `deferred()`. Its own entry point, `@cnpaas/kube/testing`, for
 * test code only; the live tiers of the packages that use the runtime prove
 * the same paths against a real kube-apiserver.
 */
import pino from 'pino';
import { ApiException, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { keyOf } from './keys.js';
import type { ListerWatcher, WatchEvent, WatchHandle, WatchOptions } from './list-watch.js';
import type { LeaderElectionRecord, LeaseLock, VersionedRecord } from './leader-election.js';
import type { ResourceRef } from './resource.js';

export const silentLog = pino({ level: 'silent' });

/** Kinds for tests: three made-up example.dev kinds (install widgets' CRD where a real apiserver serves them), two built-ins. */
export const TEST_KINDS = {
  tenants: { group: 'example.dev', version: 'v1', plural: 'tenants', kind: 'Tenant', namespaced: false },
  users: { group: 'example.dev', version: 'v1', plural: 'users', kind: 'User', namespaced: true },
  widgets: { group: 'example.dev', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A Kubernetes object with the free-form parts tests set. */
export type TestObject = KubernetesObject & { spec?: unknown; status?: unknown };

interface ActiveWatch {
  options: WatchOptions;
  onEvent(event: WatchEvent<KubernetesObject>): void;
  end(): void;
  fail(err: unknown): void;
}

/**
 * An in-memory apiserver collection speaking the ListerWatcher contract:
 * writes bump a global resourceVersion and reach open watches as events.
 */
export class MemoryCollection implements ListerWatcher<KubernetesObject> {
  readonly objects = new Map<string, KubernetesObject>();
  rv = 100;
  lists = 0;
  listFailures = 0;
  readonly watches: WatchOptions[] = [];
  readonly #active = new Set<ActiveWatch>();

  async list(): Promise<KubernetesListObject<KubernetesObject>> {
    this.lists++;
    if (this.listFailures > 0) {
      this.listFailures--;
      throw new ApiException(503, 'unavailable', '{}', {});
    }
    return {
      metadata: { resourceVersion: String(this.rv) },
      items: [...this.objects.values()].map((o) => structuredClone(o)),
    };
  }

  watch(options: WatchOptions, onEvent: (event: WatchEvent<KubernetesObject>) => void): WatchHandle {
    this.watches.push(options);
    let end!: () => void;
    let fail!: (err: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      end = resolve;
      fail = reject;
    });
    const active: ActiveWatch = { options, onEvent, end, fail };
    this.#active.add(active);
    const close = (): void => {
      this.#active.delete(active);
    };
    void done.then(close, close);
    return { done, abort: () => end() };
  }

  get watching(): boolean {
    return this.#active.size > 0;
  }

  /** Creates or updates `obj` (a new resourceVersion) and tells the open watch. */
  put(obj: TestObject): KubernetesObject {
    const key = keyOf(obj);
    const existed = this.objects.has(key);
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    this.objects.set(key, stored);
    for (const w of this.#active) w.onEvent({ type: existed ? 'MODIFIED' : 'ADDED', object: structuredClone(stored) });
    return stored;
  }

  remove(key: string): void {
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    const gone = structuredClone(obj);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.rv) };
    for (const w of this.#active) w.onEvent({ type: 'DELETED', object: structuredClone(gone) });
  }

  /** Changes the collection without telling anyone (what a watch misses while down). */
  putSilently(obj: TestObject): void {
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    this.objects.set(keyOf(obj), stored);
  }

  removeSilently(key: string): void {
    this.objects.delete(key);
    this.rv++;
  }

  bookmark(): void {
    const rv = String(++this.rv);
    for (const w of this.#active) w.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv } } });
  }

  /** The server ends the watch normally (its timeout). */
  endWatch(): void {
    for (const w of [...this.#active]) w.end();
  }

  failWatch(err: unknown): void {
    for (const w of [...this.#active]) w.fail(err);
  }

  /** The watch's resourceVersion was compacted: ERROR event with 410. */
  gone(): void {
    for (const w of [...this.#active]) w.fail(new ApiException(410, 'too old resource version', '{}', {}));
  }
}

/** One Lease in memory, with the apiserver's optimistic concurrency. */
export class MemoryLease {
  record: LeaderElectionRecord | undefined;
  rv = 0;
  writes = 0;

  /** A client of this Lease; `down` makes every call fail, `hang` makes them never answer. */
  client(): LeaseLock & { down: boolean; hang: boolean; getGate?: Deferred } {
    // The client is a plain object whose methods reach this fake Lease by name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const lease = this;
    const client = {
      down: false,
      hang: false,
      getGate: undefined as Deferred | undefined,
      describe: () => 'test/lease',
      async get(): Promise<VersionedRecord | undefined> {
        await client.check();
        if (client.getGate) await client.getGate.promise;
        return lease.record ? { record: { ...lease.record }, resourceVersion: String(lease.rv) } : undefined;
      },
      async create(record: LeaderElectionRecord): Promise<VersionedRecord> {
        await client.check();
        if (lease.record) throw new ApiException(409, 'AlreadyExists', '{}', {});
        return lease.write(record);
      },
      async update(
        record: LeaderElectionRecord,
        { resourceVersion }: { resourceVersion: string },
      ): Promise<VersionedRecord> {
        await client.check();
        if (!lease.record) throw new ApiException(404, 'NotFound', '{}', {});
        if (resourceVersion !== String(lease.rv)) throw new ApiException(409, 'Conflict', '{}', {});
        return lease.write(record);
      },
      async check(): Promise<void> {
        if (client.hang) await new Promise(() => undefined);
        if (client.down) throw new Error('connect ECONNREFUSED');
      },
    };
    return client;
  }

  write(record: LeaderElectionRecord): VersionedRecord {
    this.record = { ...record };
    this.rv++;
    this.writes++;
    return { record: { ...record }, resourceVersion: String(this.rv) };
  }
}
