import { Registry, type Counter, type Histogram } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineMetrics, type ScrapeGauge } from './metrics.js';

class ShopMetrics extends defineMetrics({
  processMetricsPrefix: 'cnpaas_shop_',
  metrics: {
    sales: { counter: 'cnpaas_shop_sales_total', help: 'Sales, per till and outcome', labels: ['till', 'outcome'] },
    opened: { counter: 'cnpaas_shop_opened_total', help: 'Times the shop opened' },
    duration: { histogram: 'cnpaas_shop_sale_seconds', help: 'Time per sale', labels: ['till'], buckets: [0.5, 2] },
    open: { gauge: 'cnpaas_shop_open', help: '1 while open' },
    queue: { scrapeGauge: 'cnpaas_shop_queue', help: 'People waiting, per till', label: 'till' },
  },
}) {}

const SilentMetrics = defineMetrics({ metrics: { ticks: { counter: 'cnpaas_silent_ticks_total', help: 'Ticks' } } });

describe('defineMetrics', () => {
  it('registers every entry of the table under its key, with its labels and buckets', async () => {
    const metrics = new ShopMetrics();
    expectTypeOf(metrics.sales).toEqualTypeOf<Counter<'till' | 'outcome'>>();
    expectTypeOf(metrics.duration).toEqualTypeOf<Histogram<'till'>>();
    expectTypeOf(metrics.queue).toEqualTypeOf<ScrapeGauge<'till'>>();
    metrics.sales.inc({ till: '1', outcome: 'paid' });
    metrics.opened.inc();
    metrics.duration.observe({ till: '1' }, 1);
    metrics.open.set(1);
    let waiting = 3;
    metrics.queue.track('1', () => waiting);
    waiting = 4;
    const text = await metrics.registry.metrics();
    expect(text).toContain('# HELP cnpaas_shop_sales_total Sales, per till and outcome');
    expect(text).toContain('cnpaas_shop_sales_total{till="1",outcome="paid"} 1');
    expect(text).toContain('cnpaas_shop_opened_total 1');
    expect(text).toContain('cnpaas_shop_sale_seconds_bucket{le="2",till="1"} 1');
    expect(text).toContain('cnpaas_shop_sale_seconds_bucket{le="0.5",till="1"} 0');
    expect(text).toContain('cnpaas_shop_open 1');
    expect(text).toContain('cnpaas_shop_queue{till="1"} 4');
    expect(text).not.toContain('cnpaas_shop_process_');
  });

  it('uses the registry it is given, and gives each instance its own otherwise', async () => {
    const registry = new Registry();
    const shared = new ShopMetrics({ registry });
    expect(shared.registry).toBe(registry);
    new ShopMetrics().sales.inc({ till: '2', outcome: 'paid' });
    expect(await registry.metrics()).not.toContain('till="2"');
  });

  it('adds the process collectors under its prefix on request, and refuses them without a prefix', async () => {
    const metrics = new ShopMetrics({ processMetrics: true });
    expect(await metrics.registry.metrics()).toContain('cnpaas_shop_process_cpu_seconds_total');
    expect(() => new SilentMetrics({ processMetrics: true })).toThrow(/defined without a processMetricsPrefix/);
    expect(new SilentMetrics().ticks).toBeDefined();
  });
});
