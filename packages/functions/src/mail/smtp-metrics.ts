/**
 * Prometheus metrics of the SMTP sink. The sink keeps its tallies as plain
 * numbers (`SmtpSink.stats`, which tests read synchronously); each counter
 * takes its value from them when scraped.
 */
import { Counter, Registry } from 'prom-client';
import type { SmtpSink } from './smtp-sink.js';

const COUNTERS: Array<{ name: string; help: string; stat: keyof SmtpSink['stats'] }> = [
  {
    name: 'cnpaas_smtp_messages_stored_total',
    help: 'Messages accepted and stored in the mail directory',
    stat: 'stored',
  },
  {
    name: 'cnpaas_smtp_commands_refused_total',
    help: 'MAIL, RCPT or DATA commands refused (faults, oversize)',
    stat: 'refused',
  },
  {
    name: 'cnpaas_smtp_auth_failures_total',
    help: 'AUTH attempts with a wrong user name or password',
    stat: 'authFailures',
  },
];

export function smtpMetricsRegistry(stats: SmtpSink['stats']): Registry {
  const registry = new Registry();
  for (const { name, help, stat } of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(stats[stat]);
      },
    });
  }
  return registry;
}
