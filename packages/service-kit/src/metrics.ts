/**
 * What every server's Prometheus metrics start with: its registry (given,
 * or its own), the process collectors on request, and the counter of
 * requests refused before a handler ran. A package's metrics class extends
 * this and adds its own, with `registers`. Its own entry point
 * (`@cnpaas/service-kit/metrics`): a process without metrics does not load
 * prom-client.
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export { ScrapeGauge, type ScrapeGaugeOptions } from './scrape-gauge.js';

export interface ServiceMetricsOptions {
  /** Default: a registry of its own. */
  registry?: Registry | undefined;
  /** The process collectors (CPU, memory, event loop). Off by default: they start timers, which unit tests do not want. */
  processMetrics?: boolean | undefined;
  /** The process collectors' name prefix, e.g. `cnpaas_webhooks_`. */
  processMetricsPrefix: string;
  /** The refused-requests counter (label `reason`: the error code), by the package's name for it. */
  rejectedRequests: { name: string; help: string };
}

export class ServiceMetrics {
  readonly registry: Registry;
  /** Requests refused before a handler ran, per reason (the package's error code). */
  readonly rejectedRequests: Counter<'reason'>;
  /** `registers` for the package's own metrics. */
  protected readonly registers: Registry[];

  constructor(options: ServiceMetricsOptions) {
    this.registry = options.registry ?? new Registry();
    this.registers = [this.registry];
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: options.processMetricsPrefix });
    this.rejectedRequests = new Counter({
      ...options.rejectedRequests,
      labelNames: ['reason'],
      registers: this.registers,
    });
  }
}
