/**
 * An in-memory EmailStatusStore with the apiserver's semantics that the
 * protocol relies on: every write takes a new resourceVersion, `claim` is an
 * atomic compare-and-swap on it, status writes are RFC 7386 merge patches
 * (the one conditional patch StatusPatchStore makes the three writes of).
 * Every call yields to the event loop first, so concurrent deliveries really
 * interleave as they would over HTTP.
 *
 * Fault injection for tests:
 * - `conflictNext(n)`: the next n claims find the Email changed (409), as if
 *   another writer had just written (the version really moves);
 * - crashes: `connect()` hands out one connection per simulated process;
 *   `crashAt(point, ref)` returning true kills the connection that reaches
 *   that point: the call fails, and so does every later call through it, as
 *   for a process that died. `after-claim` applies the claim first (the
 *   crash between claim and send); `before-mark-sent` does not apply the
 *   write (the crash after SMTP accepted, before sentTimestamp: the window).
 */
import { randomUUID } from 'node:crypto';
import type { EmailObject, EmailStatus } from '../email-resource.js';
import { StatusPatchStore, type EmailRef, type StatusPatch, type StatusWrite } from './email-status-store.js';

export type CrashPoint = 'after-claim' | 'before-mark-sent' | 'before-record-error';

const simulatedCrashBrand = Symbol.for('cnpaas.functions.SimulatedCrash');

/** What a call through a crashed connection throws. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  readonly [simulatedCrashBrand] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && simulatedCrashBrand in value;
  }
}

/** Where each write may crash: the claim once applied, the others before they apply. */
const CRASH_POINTS: Record<StatusWrite, { point: CrashPoint; applied: boolean }> = {
  claim: { point: 'after-claim', applied: true },
  sent: { point: 'before-mark-sent', applied: false },
  error: { point: 'before-record-error', applied: false },
};

/** The counter of `calls` each write counts in. */
const CALL_OF: Record<StatusWrite, 'claim' | 'markSent' | 'recordError'> = {
  claim: 'claim',
  sent: 'markSent',
  error: 'recordError',
};

function key(ref: EmailRef): string {
  return `${ref.namespace}/${ref.name}`;
}

function mergeStatus(status: EmailStatus | undefined, patch: Record<string, unknown>): EmailStatus {
  const next: Record<string, unknown> = { ...(status ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

function notFound(ref: EmailRef): Error {
  return Object.assign(new Error(`emails "${ref.name}" not found`), { statusCode: 404 });
}

/** The store's objects and counters, which every connection reads and writes. */
interface MemoryState {
  readonly objects: Map<string, EmailObject>;
  readonly calls: MemoryEmailStatusStore['calls'];
  /** The next resourceVersion. */
  nextVersion(): string;
  /** True once for each 409 `conflictNext` asked for. */
  takeInjectedConflict(): boolean;
}

/** One simulated process's connection to the store: once it crashes, every call through it fails. */
export class MemoryConnection extends StatusPatchStore {
  readonly #state: MemoryState;
  readonly #turns: number;
  readonly #crashAt: () => MemoryEmailStatusStore['crashAt'];
  #dead = false;

  constructor(state: MemoryState, options: { turns: number; crashAt: () => MemoryEmailStatusStore['crashAt'] }) {
    super();
    this.#state = state;
    this.#turns = options.turns;
    this.#crashAt = options.crashAt;
  }

  get dead(): boolean {
    return this.#dead;
  }

  get(ref: EmailRef): Promise<EmailObject | undefined> {
    return this.#guard(() => {
      this.#state.calls.get++;
      const obj = this.#state.objects.get(key(ref));
      return obj ? structuredClone(obj) : undefined;
    });
  }

  // Public here: the store's own calls go through a fresh connection each.
  override patchStatus(ref: EmailRef, patch: StatusPatch): Promise<EmailObject | 'conflict'> {
    const crash = CRASH_POINTS[patch.write];
    return this.#guard(() => {
      if (!crash.applied) this.#crash(crash.point, ref);
      const result = this.#apply(ref, patch);
      if (crash.applied && result !== 'conflict') this.#crash(crash.point, ref);
      return result;
    });
  }

  /** The apiserver's merge patch on /status: check and set with no await in between, its compare-and-swap. */
  #apply(ref: EmailRef, patch: StatusPatch): EmailObject | 'conflict' {
    const { calls } = this.#state;
    calls[CALL_OF[patch.write]]++;
    const obj = this.#state.objects.get(key(ref));
    if (!obj) throw notFound(ref);
    // An injected 409 on a claim: another writer really moves the version first.
    if (patch.write === 'claim' && this.#state.takeInjectedConflict())
      obj.metadata.resourceVersion = this.#state.nextVersion();
    if (patch.resourceVersion !== undefined && obj.metadata.resourceVersion !== patch.resourceVersion) {
      if (patch.write === 'claim') calls.conflicts++;
      return 'conflict';
    }
    obj.status = mergeStatus(obj.status, patch.status);
    obj.metadata.resourceVersion = this.#state.nextVersion();
    return structuredClone(obj);
  }

  async #guard<T>(fn: () => T): Promise<T> {
    if (this.#dead) throw new SimulatedCrash('this process crashed');
    for (let i = 0; i < this.#turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#dead) throw new SimulatedCrash('this process crashed');
    return fn();
  }

  #crash(point: CrashPoint, ref: EmailRef): void {
    if (this.#crashAt()?.(point, ref)) {
      this.#dead = true;
      throw new SimulatedCrash(`crashed at ${point}`);
    }
  }
}

export class MemoryEmailStatusStore extends StatusPatchStore {
  readonly #objects = new Map<string, EmailObject>();
  #rv = 1;
  #conflicts = 0;
  readonly calls = { get: 0, claim: 0, conflicts: 0, markSent: 0, recordError: 0 };
  /** Decides, per call, whether the calling connection crashes at that point. */
  crashAt: ((point: CrashPoint, ref: EmailRef) => boolean) | undefined;
  readonly #turns: number;
  readonly #state: MemoryState = {
    objects: this.#objects,
    calls: this.calls,
    nextVersion: () => String(++this.#rv),
    takeInjectedConflict: () => {
      if (this.#conflicts === 0) return false;
      this.#conflicts--;
      return true;
    },
  };

  constructor(options: { turns?: number } = {}) {
    super();
    this.#turns = options.turns ?? 2;
  }

  /** Creates (or replaces) an Email; fills uid, generation and resourceVersion like the apiserver. */
  put(
    email: Omit<EmailObject, 'metadata'> & { metadata: Omit<EmailObject['metadata'], 'uid'> & { uid?: string } },
  ): EmailObject {
    const stored = structuredClone(email) as EmailObject;
    stored.metadata.uid ??= randomUUID();
    stored.metadata.generation ??= 1;
    stored.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(key(stored.metadata), stored);
    return structuredClone(stored);
  }

  delete(ref: EmailRef): void {
    this.#objects.delete(key(ref));
  }

  /** The stored object without a yield (for assertions). */
  peek(ref: EmailRef): EmailObject | undefined {
    const obj = this.#objects.get(key(ref));
    return obj ? structuredClone(obj) : undefined;
  }

  conflictNext(n: number): void {
    this.#conflicts += n;
  }

  /** A connection for one simulated process; see the file comment. */
  connect(): MemoryConnection {
    return new MemoryConnection(this.#state, { turns: this.#turns, crashAt: () => this.crashAt });
  }

  // The store itself is a connection that never crashes.
  get(ref: EmailRef): Promise<EmailObject | undefined> {
    return this.connect().get(ref);
  }

  protected override patchStatus(ref: EmailRef, patch: StatusPatch): Promise<EmailObject | 'conflict'> {
    return this.connect().patchStatus(ref, patch);
  }
}
