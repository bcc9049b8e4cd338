/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * algorithm (`tools/leaderelection`) and defaults (leaseDuration 15 s,
 * renewDeadline 10 s, retryPeriod 2 s):
 *
 * - Acquire: every retryPeriod (jittered) read the Lease; take it when it is
 *   absent, released (empty holder), or expired. Expiry is judged by when
 *   *we* last saw the record change, plus its leaseDurationSeconds, never by
 *   the holder's renewTime: clocks of two machines need not agree.
 * - Writes replace the Lease with the resourceVersion we read, so two
 *   candidates cannot both win: the slower gets 409 Conflict and stays a
 *   follower.
 * - Renew: every retryPeriod. If no renewal succeeds within renewDeadline,
 *   leadership is lost and the work under it is stopped. renewDeadline <
 *   leaseDuration leaves a gap in which we have stopped and nobody else has
 *   started yet.
 * - Release on shutdown: clear holderIdentity (leaseDurationSeconds 1), so a
 *   successor takes over at its next retry instead of waiting 15 s.
 *
 * The Kubernetes calls go through `LeaseLock`, so the algorithm runs in unit
 * tests against an in-memory lock and the fake clock.
 */
import { errorMessage, isConflict, KubeError } from './errors.js';
import { realClock, sleep, type Clock } from './clock.js';
import { defaultLogger, type Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';

/** The Lease spec in the terms of the algorithm; times are epoch ms. */
export interface LeaderElectionRecord {
  /** '' when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: number;
  renewTime?: number;
  leaseTransitions: number;
}

export interface VersionedRecord {
  record: LeaderElectionRecord;
  resourceVersion: string;
}

/** The three Lease calls the algorithm makes. */
export interface LeaseLock {
  /** The current record, or undefined when the Lease does not exist. */
  get(signal: AbortSignal): Promise<VersionedRecord | undefined>;
  /** Creates the Lease; rejects (409) when it already exists. */
  create(record: LeaderElectionRecord, signal: AbortSignal): Promise<VersionedRecord>;
  /** Replaces the Lease if it is still at `resourceVersion`; rejects with 409 otherwise. */
  update(
    record: LeaderElectionRecord,
    options: { resourceVersion: string; signal: AbortSignal },
  ): Promise<VersionedRecord>;
  /** For logs and metrics, e.g. 'example-system/widget-operator'. */
  describe(): string;
}

export interface LeaderElectorOptions {
  lock: LeaseLock;
  /** Unique per process, e.g. `${hostname}_${uuid}`. */
  identity: string;
  /** How long a non-renewed lease stays valid for others. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before giving up. Default 10 s. */
  renewDeadlineMs?: number;
  /** Wait between attempts. Default 2 s. */
  retryPeriodMs?: number;
  /** Clear the Lease when `run`'s signal aborts. Default true. */
  releaseOnCancel?: boolean;
  /**
   * Called once leadership is acquired. The signal aborts when leadership
   * ends (lost, or `run` cancelled); the Lease is released only after the
   * returned promise settles, so stop work before resolving. A rejection ends
   * leadership.
   */
  onStartedLeading(signal: AbortSignal): Promise<void> | void;
  /** Called after leadership ended (and after the release). */
  onStoppedLeading?(): void;
  /** Called when a different holder is observed ('' when released). */
  onNewLeader?(identity: string): void;
  clock?: Clock;
  log?: Logger;
  metrics?: RuntimeMetrics;
  /** Source of jitter in [0, 1). */
  random?: () => number;
}

/** Why `run` returned. */
export type LeaderElectionOutcome = 'cancelled' | 'lost';

/** client-go's JitterFactor: acquire retries wait retryPeriod·(1 + 1.2·rand). */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  readonly #lock: LeaseLock;
  readonly #id: string;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #releaseOnCancel: boolean;
  readonly #options: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  #observed: LeaderElectionRecord | undefined;
  #observedRv = '';
  #observedTime = 0;
  #leading = false;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#lock = options.lock;
    this.#id = options.identity;
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    this.#releaseOnCancel = options.releaseOnCancel ?? true;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? defaultLogger()).child({ lease: options.lock.describe(), identity: options.identity });
    this.#random = options.random ?? Math.random;
    // client-go's NewLeaderElector checks, with its reasons.
    const bad = (why: string): never => {
      throw new KubeError('CNPAAS_KUBE_INVALID_CONFIG', `leader election: ${why}`, {
        hint: 'use the defaults (15 s / 10 s / 2 s) unless you know why not',
      });
    };
    if (!this.#id) bad('identity must not be empty');
    if (this.#retryMs <= 0 || this.#renewDeadlineMs <= 0 || this.#leaseMs <= 0) bad('durations must be positive');
    if (this.#leaseMs <= this.#renewDeadlineMs) bad('leaseDuration must be greater than renewDeadline');
    if (this.#renewDeadlineMs <= JITTER_FACTOR * this.#retryMs)
      bad(`renewDeadline must be greater than retryPeriod·${JITTER_FACTOR}`);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the Lease ('' if released or never seen). */
  observedLeader(): string {
    return this.#observed?.holderIdentity ?? '';
  }

  /**
   * Campaigns until leader, leads until `signal` aborts or renewal fails,
   * then stops the work and (by default) releases the Lease. Resolves with
   * why leadership ended: 'cancelled' (also when it was never acquired) or
   * 'lost'. Never rejects.
   */
  async run(signal: AbortSignal): Promise<LeaderElectionOutcome> {
    if (!(await this.#acquire(signal))) return 'cancelled';
    this.#setLeading(true);
    this.#log.info('became leader');
    const leading = new AbortController();
    const stepDown = (): void => leading.abort();
    signal.addEventListener('abort', stepDown, { once: true });
    const work = (async () => {
      try {
        await this.#options.onStartedLeading(leading.signal);
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'work under leadership failed; stepping down');
        leading.abort();
      }
    })();
    const renewed = await this.#renewUntilStopped(leading.signal);
    const outcome: LeaderElectionOutcome = renewed || signal.aborted ? 'cancelled' : 'lost';
    if (outcome === 'lost')
      this.#log.error({ renewDeadlineMs: this.#renewDeadlineMs }, 'failed to renew the lease in time; leadership lost');
    leading.abort();
    signal.removeEventListener('abort', stepDown);
    await work;
    this.#setLeading(false);
    if (this.#releaseOnCancel) await this.#release();
    this.#options.onStoppedLeading?.();
    return outcome;
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    this.#log.info('waiting to acquire the leader lease');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      await sleep(this.#clock, this.#retryMs * (1 + JITTER_FACTOR * this.#random()), { signal });
    }
    return false;
  }

  /**
   * Renews every retryPeriod. Returns true when `signal` aborted (we stop
   * voluntarily), false when a renewal did not succeed within renewDeadline.
   */
  async #renewUntilStopped(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      await sleep(this.#clock, this.#retryMs, { signal });
      if (signal.aborted) return true;
      // Like client-go's PollImmediateUntil under a renewDeadline timeout:
      // retry every retryPeriod, and abort a call still hanging at the deadline.
      const deadline = new AbortController();
      const timer = this.#clock.setTimeout(() => deadline.abort(), this.#renewDeadlineMs);
      const attempt = AbortSignal.any([signal, deadline.signal]);
      let ok = false;
      while (!attempt.aborted) {
        ok = await this.tryAcquireOrRenew(attempt);
        if (ok) break;
        await sleep(this.#clock, this.#retryMs, { signal: attempt });
      }
      this.#clock.clearTimeout(timer);
      if (signal.aborted) return true;
      if (!ok) return false;
    }
  }

  /** One round of client-go's `tryAcquireOrRenew`. True when we hold the Lease afterwards. */
  async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const desired: LeaderElectionRecord = {
      holderIdentity: this.#id,
      leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };

    let current: VersionedRecord | undefined;
    try {
      current = await abortable(this.#lock.get(signal), signal);
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'could not read the lease');
      return false;
    }

    if (!current) {
      try {
        this.#observe(await abortable(this.#lock.create(desired, signal), signal), now);
        return true;
      } catch (err) {
        this.#log.info({ err: errorMessage(err) }, 'could not create the lease');
        return false;
      }
    }

    if (current.resourceVersion !== this.#observedRv) this.#observe(current, now);
    const holder = current.record.holderIdentity;
    const durationMs = (current.record.leaseDurationSeconds || this.#leaseMs / 1000) * 1000;
    if (holder && holder !== this.#id && this.#observedTime + durationMs > now) {
      return false; // held by someone else and not expired
    }

    if (holder === this.#id) {
      desired.acquireTime = current.record.acquireTime;
      desired.leaseTransitions = current.record.leaseTransitions;
    } else {
      desired.leaseTransitions = current.record.leaseTransitions + 1;
    }
    try {
      this.#observe(
        await abortable(this.#lock.update(desired, { resourceVersion: current.resourceVersion, signal }), signal),
        now,
      );
      return true;
    } catch (err) {
      if (isConflict(err)) this.#log.info('lost an update race for the lease (409)');
      else this.#log.warn({ err: errorMessage(err) }, 'could not update the lease');
      return false;
    }
  }

  /** Hands the Lease back: empty holder, 1 s duration, transitions kept. Best effort. */
  async #release(): Promise<void> {
    if (this.#observed?.holderIdentity !== this.#id) return;
    const now = this.#clock.now();
    const record: LeaderElectionRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.#observed.leaseTransitions,
    };
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(), this.#renewDeadlineMs);
    try {
      this.#observe(
        await abortable(
          this.#lock.update(record, { resourceVersion: this.#observedRv, signal: timeout.signal }),
          timeout.signal,
        ),
        now,
      );
      this.#log.info('released the leader lease');
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'could not release the lease; successors wait for it to expire');
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #observe(current: VersionedRecord, now: number): void {
    const previous = this.#observed?.holderIdentity;
    this.#observed = current.record;
    this.#observedRv = current.resourceVersion;
    this.#observedTime = now;
    if (previous !== current.record.holderIdentity) {
      if (current.record.holderIdentity !== this.#id)
        this.#log.info({ leader: current.record.holderIdentity }, 'new leader observed');
      this.#options.onNewLeader?.(current.record.holderIdentity);
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.metrics?.isLeader.set({ lease: this.#lock.describe() }, leading ? 1 : 0);
  }
}

/** Rejects when `signal` aborts, even if `promise` never settles (a hung request must not extend leadership). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted: deadline passed or shutting down'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
