import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EtcdError } from './errors.js';

/** Prometheus metrics of one store process, served at --listen-metrics-urls /metrics. */
export class StoreMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'cnpaas_store_requests_total',
    help: 'gRPC requests by method and gRPC code',
    labelNames: ['method', 'code'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'cnpaas_store_request_duration_seconds',
    help: 'gRPC request latency by method',
    labelNames: ['method'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly writes = this.#gauge('writes_total', 'Acknowledged write requests (counter)');
  readonly batches = this.#gauge('commit_batches_total', 'Group commits (counter)');
  readonly fsyncs = this.#gauge('fsyncs_total', 'File commits that fsync (counter)');
  readonly optimistic = this.#gauge(
    'optimistic_batches_total',
    'Replicas: group commits sent with their lock in one message (counter)',
  );
  readonly optimisticRefused = this.#gauge(
    'optimistic_refused_total',
    'Replicas: optimistic group commits refused by their guard and taken again under the lock (counter)',
  );
  readonly revision = this.#gauge('revision', 'Current global revision');
  readonly compactRevision = this.#gauge('compact_revision', 'Current compact revision');
  readonly watchers = this.#gauge('watchers', 'Open watchers');
  readonly slowWatchersCanceled = new Counter({
    name: 'cnpaas_store_slow_watchers_canceled_total',
    help: 'Watchers canceled because their client fell behind (--max-watch-pending-bytes)',
    registers: [this.registry],
  });
  readonly keys = this.#gauge('keys', 'Live keys per backend', ['backend']);
  readonly dbSize = this.#gauge('db_size_bytes', 'Bytes on disk over all files');

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cnpaas_store_' });
  }

  /** A gauge of this store, named with its `cnpaas_store_` prefix. */
  #gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name: `cnpaas_store_${name}`, help, labelNames, registers: [this.registry] });
  }

  /** Returns a function that records the request's outcome and latency. */
  requestStarted(method: string): (err?: unknown) => void {
    const stop = this.duration.startTimer({ method });
    return (err) => {
      stop();
      this.requests.inc({
        method,
        code: err === undefined ? 'OK' : err instanceof EtcdError ? String(err.code) : 'INTERNAL',
      });
    };
  }
}
