/**
 * A gauge whose values are read when Prometheus scrapes, one reader per
 * label value (a queue's depth, a trigger's pending events): cheaper than
 * setting it on every change, and never stale. Each owner adds its reader
 * and removes it when it goes, so a gone label value stops being reported.
 */
import { Gauge, type Registry } from 'prom-client';

export interface ScrapeGaugeOptions<Label extends string> {
  name: string;
  help: string;
  /** The one label each reader answers for. */
  label: Label;
  registers: Registry[];
}

export class ScrapeGauge<Label extends string> {
  readonly gauge: Gauge<Label>;
  readonly #readers = new Map<string, () => number>();

  constructor(options: ScrapeGaugeOptions<Label>) {
    const readers = this.#readers;
    const label = options.label;
    this.gauge = new Gauge({
      name: options.name,
      help: options.help,
      labelNames: [label],
      registers: options.registers,
      collect() {
        // Reset first: a label value whose reader was removed must not keep its last value.
        this.reset();
        for (const [value, read] of readers) this.set({ [label]: value } as Partial<Record<Label, string>>, read());
      },
    });
  }

  /** Reports `read()` under `value` at every scrape, until the returned function removes it (if still this reader). */
  track(value: string, read: () => number): () => void {
    this.#readers.set(value, read);
    return () => {
      if (this.#readers.get(value) === read) this.#readers.delete(value);
    };
  }
}
