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
  readonly writes = new Gauge({
    name: 'cnpaas_store_writes_total',
    help: 'Acknowledged write requests (counter)',
    registers: [this.registry],
  });
  readonly batches = new Gauge({
    name: 'cnpaas_store_commit_batches_total',
    help: 'Group commits (counter)',
    registers: [this.registry],
  });
  readonly fsyncs = new Gauge({
    name: 'cnpaas_store_fsyncs_total',
    help: 'File commits that fsync (counter)',
    registers: [this.registry],
  });
  readonly revision = new Gauge({
    name: 'cnpaas_store_revision',
    help: 'Current global revision',
    registers: [this.registry],
  });
  readonly compactRevision = new Gauge({
    name: 'cnpaas_store_compact_revision',
    help: 'Current compact revision',
    registers: [this.registry],
  });
  readonly watchers = new Gauge({ name: 'cnpaas_store_watchers', help: 'Open watchers', registers: [this.registry] });
  readonly slowWatchersCanceled = new Counter({
    name: 'cnpaas_store_slow_watchers_canceled_total',
    help: 'Watchers canceled because their client fell behind (--max-watch-pending-bytes)',
    registers: [this.registry],
  });
  readonly keys = new Gauge({
    name: 'cnpaas_store_keys',
    help: 'Live keys per backend',
    labelNames: ['backend'],
    registers: [this.registry],
  });
  readonly dbSize = new Gauge({
    name: 'cnpaas_store_db_size_bytes',
    help: 'Bytes on disk over all files',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cnpaas_store_' });
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
