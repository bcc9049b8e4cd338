import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ScrapeGauge } from './scrape-gauge.js';

describe('ScrapeGauge', () => {
  it('reads each label value at scrape time, and forgets a removed one', async () => {
    const registry = new Registry();
    const gauge = new ScrapeGauge({
      name: 'test_depth',
      help: 'Depth per queue',
      label: 'queue',
      registers: [registry],
    });
    let depth = 1;
    const stopA = gauge.track('a', () => depth);
    gauge.track('b', () => 7);
    depth = 3;
    expect(await registry.getSingleMetricAsString('test_depth')).toContain('test_depth{queue="a"} 3');
    stopA();
    const text = await registry.getSingleMetricAsString('test_depth');
    expect(text).not.toContain('queue="a"');
    expect(text).toContain('test_depth{queue="b"} 7');
  });

  it('leaves a reader that replaced the one being removed', async () => {
    const registry = new Registry();
    const gauge = new ScrapeGauge({ name: 'test_pending', help: 'Pending', label: 'trigger', registers: [registry] });
    const stopOld = gauge.track('t', () => 1);
    gauge.track('t', () => 2);
    stopOld();
    expect(await registry.getSingleMetricAsString('test_pending')).toContain('test_pending{trigger="t"} 2');
  });
});
