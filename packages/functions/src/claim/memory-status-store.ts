/**
 * An in-memory EmailStatusStore with the apiserver's semantics that the
 * protocol relies on: every write takes a new resourceVersion, `claim` is an
 * atomic compare-and-swap on it, status writes are RFC 7386 merge patches.
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
import {
  claimPatch,
  errorPatch,
  sentPatch,
  type ClaimRecord,
  type EmailRef,
  type EmailStatusStore,
  type ErrorRecord,
  type SentRecord,
} from './email-status-store.js';

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

export interface MemoryConnection extends EmailStatusStore {
  readonly dead: boolean;
}

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

export class MemoryEmailStatusStore implements EmailStatusStore {
  readonly #objects = new Map<string, EmailObject>();
  #rv = 1;
  #conflicts = 0;
  readonly calls = { get: 0, claim: 0, conflicts: 0, markSent: 0, recordError: 0 };
  /** Decides, per call, whether the calling connection crashes at that point. */
  crashAt: ((point: CrashPoint, ref: EmailRef) => boolean) | undefined;
  readonly #turns: number;

  constructor(options: { turns?: number } = {}) {
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
    let dead = false;
    const guard = async <T>(fn: () => T | Promise<T>): Promise<T> => {
      if (dead) throw new SimulatedCrash('this process crashed');
      for (let i = 0; i < this.#turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      if (dead) throw new SimulatedCrash('this process crashed');
      return fn();
    };
    const crash = (point: CrashPoint, ref: EmailRef): void => {
      if (this.crashAt?.(point, ref)) {
        dead = true;
        throw new SimulatedCrash(`crashed at ${point}`);
      }
    };
    return {
      get dead() {
        return dead;
      },
      get: (ref) => guard(() => this.#get(ref)),
      claim: (ref, rv, claim) =>
        guard(() => {
          const result = this.#claim(ref, rv, claim);
          if (result !== 'conflict') crash('after-claim', ref);
          return result;
        }),
      markSent: (ref, sent) =>
        guard(() => {
          crash('before-mark-sent', ref);
          this.#markSent(ref, sent);
        }),
      recordError: (ref, error) =>
        guard(() => {
          crash('before-record-error', ref);
          return this.#recordError(ref, error);
        }),
    };
  }

  // The store itself is a connection that never crashes.
  get(ref: EmailRef): Promise<EmailObject | undefined> {
    return this.connect().get(ref);
  }
  claim(ref: EmailRef, resourceVersion: string, claim: ClaimRecord): Promise<EmailObject | 'conflict'> {
    return this.connect().claim(ref, resourceVersion, claim);
  }
  markSent(ref: EmailRef, sent: SentRecord): Promise<void> {
    return this.connect().markSent(ref, sent);
  }
  recordError(ref: EmailRef, error: ErrorRecord): Promise<'recorded' | 'conflict'> {
    return this.connect().recordError(ref, error);
  }

  #get(ref: EmailRef): EmailObject | undefined {
    this.calls.get++;
    return this.peek(ref);
  }

  #write(ref: EmailRef, patch: Record<string, unknown>): EmailObject {
    const obj = this.#objects.get(key(ref));
    if (!obj) throw Object.assign(new Error(`emails "${ref.name}" not found`), { statusCode: 404 });
    obj.status = mergeStatus(obj.status, patch);
    obj.metadata.resourceVersion = String(++this.#rv);
    return structuredClone(obj);
  }

  #claim(ref: EmailRef, resourceVersion: string, claim: ClaimRecord): EmailObject | 'conflict' {
    this.calls.claim++;
    const obj = this.#objects.get(key(ref));
    if (obj && this.#conflicts > 0) {
      this.#conflicts--;
      obj.metadata.resourceVersion = String(++this.#rv);
    }
    // Check and set with no await in between: the apiserver's compare-and-swap.
    if (!obj || obj.metadata.resourceVersion !== resourceVersion) {
      this.calls.conflicts++;
      if (!obj) throw Object.assign(new Error(`emails "${ref.name}" not found`), { statusCode: 404 });
      return 'conflict';
    }
    return this.#write(ref, claimPatch(claim));
  }

  #markSent(ref: EmailRef, sent: SentRecord): void {
    this.calls.markSent++;
    this.#write(ref, sentPatch(sent));
  }

  #recordError(ref: EmailRef, error: ErrorRecord): 'recorded' | 'conflict' {
    this.calls.recordError++;
    const obj = this.#objects.get(key(ref));
    if (obj && error.resourceVersion !== undefined && obj.metadata.resourceVersion !== error.resourceVersion)
      return 'conflict';
    this.#write(ref, errorPatch(error));
    return 'recorded';
  }
}
