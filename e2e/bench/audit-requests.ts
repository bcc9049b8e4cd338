/**
 * API requests per registration, per component, from kube-apiserver's audit
 * log (`<state-dir>/logs/audit.log`, always on under `cnpaas up`): every
 * request the apiserver answered inside the benchmark's window, grouped by
 * who made it and what it was. The audit policy drops probes and Lease
 * renewals, so what is counted is the work the registrations caused plus a
 * little background (the controller manager's resyncs), which the per-
 * registration figure divides away as the count grows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The fields of an audit event the benches read. */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
}

export interface RequestCount {
  who: string;
  /** e.g. "create users", "patch registrationrequests/status". */
  what: string;
  count: number;
}

/** The live audit log and its rotated backups (audit-<time>.log), oldest first. */
export function auditFiles(logsDir: string): string[] {
  if (!existsSync(logsDir)) return [];
  return readdirSync(logsDir)
    .filter((f) => /^audit(-.+)?\.log$/.test(f))
    .sort((a, b) => (a === 'audit.log' ? 1 : b === 'audit.log' ? -1 : a.localeCompare(b)))
    .map((f) => path.join(logsDir, f));
}

/** Every event of the audit log and its backups, oldest file first; a line cut by rotation is skipped. */
export function* auditEvents(logsDir: string): Generator<AuditEvent> {
  for (const file of auditFiles(logsDir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        yield JSON.parse(line) as AuditEvent;
      } catch {
        continue;
      }
    }
  }
}

/** Short names for the identities a local stack uses; anything else as the apiserver saw it. */
export function component(username: string): string {
  const account = /^system:serviceaccount:[^:]+:(.+)$/.exec(username)?.[1];
  return account ?? username;
}

/** `resource` or `resource/subresource`. */
export function resourceOf(ref: { resource?: string; subresource?: string }): string {
  return `${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}`;
}

/** Requests received in [fromMs, toMs], one per request (the ResponseComplete or ResponseStarted stage). */
export function countRequests(options: { logsDir: string; fromMs: number; toMs: number }): RequestCount[] {
  const counts = new Map<string, RequestCount>();
  for (const event of auditEvents(options.logsDir)) {
    // A watch is logged when it starts (ResponseStarted) and when it ends; count it once.
    if (event.stage !== 'ResponseComplete' && !(event.stage === 'ResponseStarted' && event.verb === 'watch')) continue;
    if (event.stage === 'ResponseComplete' && event.verb === 'watch') continue;
    const at = Date.parse(event.requestReceivedTimestamp ?? '');
    if (!(at >= options.fromMs && at <= options.toMs)) continue;
    const who = component(event.user?.username ?? 'unknown');
    const ref = event.objectRef;
    const resource = ref?.resource ? resourceOf(ref) : '(non-resource)';
    const what = `${event.verb ?? '?'} ${resource}`;
    const key = `${who}\u0000${what}`;
    const entry = counts.get(key) ?? { who, what, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}

/**
 * Markdown: requests per registration by component, with each one's three commonest requests, then every
 * request of each caller that makes at least `detailFrom` per registration (default 0.5), so a change to
 * any component shows which of its calls moved.
 */
export function requestsTable(counts: RequestCount[], registrations: number, detailFrom = 0.5): string {
  const byWho = new Map<string, RequestCount[]>();
  for (const c of counts) byWho.set(c.who, [...(byWho.get(c.who) ?? []), c]);
  const rows = [...byWho.entries()]
    .map(([who, list]) => ({ who, total: list.reduce((n, c) => n + c.count, 0), list }))
    .sort((a, b) => b.total - a.total);
  const total = rows.reduce((n, r) => n + r.total, 0);
  const per = (n: number) => (n / registrations).toFixed(1);
  const detailed = rows.filter((r) => r.total / registrations >= detailFrom);
  return [
    '| caller | requests per registration | commonest |',
    '|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.who} | ${per(r.total)} | ${r.list
          .slice(0, 3)
          .map((c) => `${c.what} ${per(c.count)}`)
          .join(', ')} |`,
    ),
    `| **all** | **${per(total)}** | |`,
    '',
    `Every request of each caller above ${detailFrom} per registration:`,
    '',
    '| caller | request | per registration |',
    '|---|---|---|',
    ...detailed.flatMap((r) => r.list.map((c) => `| ${r.who} | ${c.what} | ${per(c.count)} |`)),
  ].join('\n');
}
