/**
 * One registration's path, hop by hop, from kube-apiserver's audit log: for
 * every registration the bench saw answered, when each request of the flow
 * reached the apiserver, counted from the moment the bench sent its POST
 * (one clock: everything runs on this machine). The percentiles over all
 * registrations show where a registration waits: a long gap before a hop
 * with a short request is a queue, a poll or an informer's lag, not work.
 *
 * The requests are found by the names the registration's children have
 * (all derived from the RegistrationRequest's UID, which the 201 answer
 * carries) and by who made them. Nothing here reads a body: the audit log
 * keeps none for these kinds.
 */
import { claimNameFor } from '@cnpaas/webshop-api';
import { auditEvents, component, resourceOf } from './audit-requests.js';

/** What the bench knows of one answered registration. */
export interface AnsweredRegistration {
  email: string;
  /** Epoch ms: the POST was sent. */
  postedAt: number;
  /** Epoch ms: the 201 arrived. */
  answeredAt: number;
  /** Epoch ms: the welcome mail reached the SMTP server, if it did. */
  mailedAt?: number;
  /** The RegistrationRequest's name and the tenant (= namespace = user) the operator made. */
  name: string;
  tenant: string;
}

/** One request of the flow: who sends it about which object; the first or the last of several. */
interface Hop {
  label: string;
  who: string;
  verb: string;
  /** `resource` or `resource/subresource`. */
  resource: string;
  target(r: AnsweredRegistration): { namespace?: string; name: string };
  /** Which of several: the first (default), the last, or the first when there are more than one. */
  pick?: 'first' | 'last' | 'first-of-several';
  /** The hop whose end this one's wait is counted from; default the one before. */
  since?: string;
}

const OPERATOR = 'cnpaas-operator';
const tenantScoped = (r: AnsweredRegistration) => ({ name: r.tenant });
const inTenant = (name: (r: AnsweredRegistration) => string) => (r: AnsweredRegistration) => ({
  namespace: r.tenant,
  name: name(r),
});

/** The path to the answer and the mail, in the order the flow makes them. */
const PATH: Hop[] = [
  {
    label: 'email claim taken (validating webhook)',
    who: 'cnpaas-webhooks',
    verb: 'create',
    resource: 'configmaps',
    target: (r) => ({ namespace: 'cnpaas-system', name: claimNameFor(r.email) }),
  },
  { label: 'Tenant created', who: OPERATOR, verb: 'create', resource: 'tenants', target: tenantScoped },
  {
    label: 'RR status written (waiting, before the last)',
    who: OPERATOR,
    verb: 'patch',
    resource: 'registrationrequests/status',
    target: (r) => ({ name: r.name }),
    pick: 'first-of-several',
  },
  {
    label: 'Tenant finalizer added (a patch of its own)',
    who: OPERATOR,
    verb: 'patch',
    resource: 'tenants',
    target: tenantScoped,
  },
  {
    label: 'Namespace created',
    since: 'Tenant created',
    who: OPERATOR,
    verb: 'create',
    resource: 'namespaces',
    target: tenantScoped,
  },
  {
    label: "operator's RoleBinding created",
    who: OPERATOR,
    verb: 'create',
    resource: 'rolebindings',
    target: inTenant(() => OPERATOR),
  },
  { label: 'Tenant status written', who: OPERATOR, verb: 'patch', resource: 'tenants/status', target: tenantScoped },
  {
    label: 'User created',
    since: 'Namespace created',
    who: OPERATOR,
    verb: 'create',
    resource: 'users',
    target: inTenant((r) => r.tenant),
  },
  {
    label: 'Email created',
    who: OPERATOR,
    verb: 'create',
    resource: 'emails',
    target: inTenant((r) => `${r.tenant}-welcome`),
  },
  {
    label: 'RR status written (last)',
    who: OPERATOR,
    verb: 'patch',
    resource: 'registrationrequests/status',
    target: (r) => ({ name: r.name }),
    pick: 'last',
  },
  {
    label: 'RR deleted',
    who: OPERATOR,
    verb: 'delete',
    resource: 'registrationrequests',
    target: (r) => ({ name: r.name }),
  },
];

/** The email function's part, which starts once the Email exists (the trigger watches Emails). */
const MAIL: Hop[] = [
  {
    label: 'Email claimed by the function',
    since: 'Email created',
    who: 'cnpaas-email-function',
    verb: 'patch',
    resource: 'emails/status',
    target: inTenant((r) => `${r.tenant}-welcome`),
  },
  {
    label: 'Email marked sent',
    who: 'cnpaas-email-function',
    verb: 'patch',
    resource: 'emails/status',
    target: inTenant((r) => `${r.tenant}-welcome`),
    pick: 'last',
  },
];

/** The User controller's work, off the path of the answer and the mail. */
const USER_TAIL: Hop[] = [
  {
    label: 'User finalizer added (a patch of its own)',
    since: 'User created',
    who: OPERATOR,
    verb: 'patch',
    resource: 'users',
    target: inTenant((r) => r.tenant),
    pick: 'first-of-several',
  },
  {
    label: 'ServiceAccount created',
    since: 'User created',
    who: OPERATOR,
    verb: 'create',
    resource: 'serviceaccounts',
    target: inTenant((r) => r.tenant),
  },
  {
    label: 'password Secret created',
    who: OPERATOR,
    verb: 'create',
    resource: 'secrets',
    target: inTenant((r) => `${r.tenant}-password`),
  },
  {
    label: 'User annotation removed (the last patch)',
    who: OPERATOR,
    verb: 'patch',
    resource: 'users',
    target: inTenant((r) => r.tenant),
    pick: 'last',
  },
  {
    label: 'User status written',
    who: OPERATOR,
    verb: 'patch',
    resource: 'users/status',
    target: inTenant((r) => r.tenant),
    pick: 'last',
  },
];

interface Stamp {
  receivedMs: number;
  doneMs: number;
}

const key = (who: string, verb: string, resource: string, namespace: string | undefined, name: string) =>
  `${who}\u0000${verb}\u0000${resource}\u0000${namespace ?? ''}\u0000${name}`;

/** Every completed request by who, verb, resource and object, in the order received. */
function readStamps(logsDir: string): Map<string, Stamp[]> {
  const stamps = new Map<string, Stamp[]>();
  for (const event of auditEvents(logsDir)) {
    const ref = event.objectRef;
    if (event.stage !== 'ResponseComplete' || !ref?.name || !ref.resource) continue;
    const who = component(event.user?.username ?? '');
    const k = key(who, event.verb ?? '', resourceOf(ref), ref.namespace, ref.name);
    const list = stamps.get(k) ?? [];
    list.push({
      receivedMs: Date.parse(event.requestReceivedTimestamp ?? ''),
      doneMs: Date.parse(event.stageTimestamp ?? ''),
    });
    stamps.set(k, list);
  }
  for (const list of stamps.values()) list.sort((a, b) => a.receivedMs - b.receivedMs);
  return stamps;
}

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(0));

interface Point {
  label: string;
  who: string;
  /** The hop whose end this one's wait is counted from; default the row before (the POST for the first). */
  since?: string;
  at(r: AnsweredRegistration): Stamp | undefined;
}

interface Row {
  label: string;
  who: string;
  /** Per registration, sorted: the hop's time after the POST, the request's own duration, the wait before it. */
  offsets: number[];
  durations: number[];
  gaps: number[];
}

function auditPoint(hop: Hop, stamps: Map<string, Stamp[]>): Point {
  return {
    label: hop.label,
    who: hop.who,
    ...(hop.since ? { since: hop.since } : {}),
    at: (r) => {
      const t = hop.target(r);
      const list = stamps.get(key(hop.who, hop.verb, hop.resource, t.namespace, t.name));
      if (!list || (hop.pick === 'first-of-several' && list.length < 2)) return undefined;
      return list[hop.pick === 'last' ? list.length - 1 : 0];
    },
  };
}

function benchPoint(label: string, since: string, at: (r: AnsweredRegistration) => number | undefined): Point {
  return {
    label,
    who: 'bench',
    since,
    at: (r) => {
      const t = at(r);
      return t === undefined ? undefined : { receivedMs: t, doneMs: t };
    },
  };
}

function rows(points: Point[], registrations: AnsweredRegistration[]): Row[] {
  const out: Row[] = points.map((p) => ({ label: p.label, who: p.who, offsets: [], durations: [], gaps: [] }));
  for (const r of registrations) {
    const seen = new Map<string, Stamp>();
    let previous: Stamp = { receivedMs: r.postedAt, doneMs: r.postedAt };
    points.forEach((p, i) => {
      const stamp = p.at(r);
      if (!stamp) return;
      const row = out[i]!;
      const before = p.since ? seen.get(p.since) : previous;
      row.offsets.push(stamp.receivedMs - r.postedAt);
      row.durations.push(stamp.doneMs - stamp.receivedMs);
      if (before) row.gaps.push(stamp.receivedMs - before.doneMs);
      seen.set(p.label, stamp);
      previous = stamp;
    });
  }
  for (const row of out) for (const list of [row.offsets, row.durations, row.gaps]) list.sort((a, b) => a - b);
  return out;
}

function table(title: string, list: Row[], total: number): string {
  return [
    title,
    '',
    '| hop | by | seen in | after the POST p50 / p90 ms | request p50 ms | wait before it p50 / p90 ms |',
    '|---|---|---|---|---|---|',
    ...list.map(
      (r) =>
        `| ${r.label} | ${r.who} | ${r.offsets.length} of ${total} | ${ms(percentile(r.offsets, 50))} / ${ms(percentile(r.offsets, 90))} | ${ms(percentile(r.durations, 50))} | ${ms(percentile(r.gaps, 50))} / ${ms(percentile(r.gaps, 90))} |`,
    ),
  ].join('\n');
}

/**
 * Markdown: the hops of the path to the 201 and the mail, then the User controller's. A hop's wait runs
 * from the end of the request it follows (the bench's POST for the first) to the arrival of its own.
 */
export function timelineTables(options: { logsDir: string; registrations: AnsweredRegistration[] }): string {
  const { registrations } = options;
  const stamps = readStamps(options.logsDir);
  const toAnswer = PATH.map((hop) => auditPoint(hop, stamps));
  const answered = benchPoint('201 received by the bench', 'RR deleted', (r) => r.answeredAt);
  const mailed = benchPoint('mail received by SMTP', 'Email marked sent', (r) => r.mailedAt);
  const tail = USER_TAIL.map((hop) => auditPoint(hop, stamps));
  const all = rows(
    [...toAnswer, answered, ...MAIL.map((hop) => auditPoint(hop, stamps)), mailed, ...tail],
    registrations,
  );
  const pathRows = all.slice(0, all.length - tail.length);
  return [
    table('The path to the answer and the mail:', pathRows, registrations.length),
    '',
    table("The User controller's work:", all.slice(pathRows.length), registrations.length),
  ].join('\n');
}
