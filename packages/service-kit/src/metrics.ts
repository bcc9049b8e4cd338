/**
 * A package's Prometheus metrics, written once as a table. Each entry's key
 * is the property the metric is read by; its kind names it
 * (`counter: 'cnpaas_x_requests_total'`), then come its help and labels:
 *
 *     export class ShopMetrics extends defineMetrics({
 *       processMetricsPrefix: 'cnpaas_shop_',
 *       metrics: {
 *         rejectedRequests: { counter: 'cnpaas_shop_rejected_requests_total', help: '…', labels: ['reason'] },
 *         duration: { histogram: 'cnpaas_shop_duration_seconds', help: '…', labels: ['outcome'], buckets: [0.1, 1] },
 *         pending: { scrapeGauge: 'cnpaas_shop_pending', help: '…', label: 'queue' },
 *       },
 *     }) {}
 *
 * `new ShopMetrics({ registry, processMetrics })` registers every entry on
 * the registry (its own when none is given) and, on request, the process
 * collectors under the prefix. Its own entry point
 * (`@cnpaas/service-kit/metrics`): a process without metrics does not load
 * prom-client.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ScrapeGauge } from './scrape-gauge.js';

export { ScrapeGauge, type ScrapeGaugeOptions } from './scrape-gauge.js';

interface Labelled {
  readonly help: string;
  readonly labels?: readonly string[];
}

/** One metric of a table: a counter, a gauge, a histogram, or a gauge read at scrape time (`ScrapeGauge`). */
export type MetricDeclaration =
  | (Labelled & { readonly counter: string })
  | (Labelled & { readonly gauge: string })
  | (Labelled & { readonly histogram: string; readonly buckets: readonly number[] })
  | { readonly scrapeGauge: string; readonly help: string; readonly label: string };

/** A package's metrics by the property each is read by. `registry` is the class's own. */
export type MetricTable = Readonly<Record<string, MetricDeclaration>> & { readonly registry?: never };

type LabelOf<Declaration> = Declaration extends { readonly labels: readonly (infer L extends string)[] } ? L : string;

/** What an entry becomes: prom-client's metric with the entry's labels (a ScrapeGauge for `scrapeGauge`). */
export type MetricOf<Declaration> = Declaration extends { readonly counter: string }
  ? Counter<LabelOf<Declaration>>
  : Declaration extends { readonly gauge: string }
    ? Gauge<LabelOf<Declaration>>
    : Declaration extends { readonly histogram: string }
      ? Histogram<LabelOf<Declaration>>
      : Declaration extends { readonly scrapeGauge: string; readonly label: infer L extends string }
        ? ScrapeGauge<L>
        : never;

/** An instance of a `defineMetrics` class: its registry and one property per entry. */
export type Metrics<Table extends MetricTable> = { readonly registry: Registry } & {
  readonly [Key in keyof Table]: MetricOf<Table[Key]>;
};

export interface MetricsOptions {
  /** Default: a registry of its own. */
  registry?: Registry | undefined;
  /** The process collectors (CPU, memory, event loop). Off by default: they start timers, which unit tests do not want. */
  processMetrics?: boolean | undefined;
}

export interface DefineMetricsOptions<Table extends MetricTable> {
  /** The process collectors' name prefix, e.g. `cnpaas_webhooks_`, for a process that serves its own /metrics. */
  processMetricsPrefix?: string;
  metrics: Table;
}

export type MetricsClass<Table extends MetricTable> = new (options?: MetricsOptions) => Metrics<Table>;

export function defineMetrics<const Table extends MetricTable>(
  definition: DefineMetricsOptions<Table>,
): MetricsClass<Table> {
  const { processMetricsPrefix, metrics: table } = definition;
  return class {
    readonly registry: Registry;

    constructor(options: MetricsOptions = {}) {
      this.registry = options.registry ?? new Registry();
      if (options.processMetrics) {
        if (processMetricsPrefix === undefined)
          throw new Error('processMetrics: this metrics class was defined without a processMetricsPrefix');
        collectDefaultMetrics({ register: this.registry, prefix: processMetricsPrefix });
      }
      const registers = [this.registry];
      for (const [key, declaration] of Object.entries(table))
        Object.defineProperty(this, key, { value: metric(declaration, registers), enumerable: true });
    }
  } as MetricsClass<Table>;
}

function metric(declaration: MetricDeclaration, registers: Registry[]): unknown {
  const { help } = declaration;
  if ('scrapeGauge' in declaration)
    return new ScrapeGauge({ name: declaration.scrapeGauge, help, label: declaration.label, registers });
  const labelNames = declaration.labels ?? [];
  if ('counter' in declaration) return new Counter({ name: declaration.counter, help, labelNames, registers });
  if ('gauge' in declaration) return new Gauge({ name: declaration.gauge, help, labelNames, registers });
  return new Histogram({ name: declaration.histogram, help, labelNames, buckets: [...declaration.buckets], registers });
}
