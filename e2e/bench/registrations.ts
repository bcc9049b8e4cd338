/**
 * `nx run e2e:bench`: registrations through the whole stack; results in docs/benchmarks.md.
 *
 * N registrations at concurrency C are POSTed to the aggregated API through
 * kube-apiserver; for each: the time from POST to 201, and from POST to the
 * welcome mail at the SMTP server. Then it shows where the CPU went, per
 * component, from /proc, and how many API requests each component made per
 * registration, from kube-apiserver's audit log (audit-requests.ts), and, from
 * the same log, where one registration spends its time, hop by hop (timeline.ts).
 * `--write` appends the run to docs/benchmarks.md. `--cpu-prof DIR` runs every
 * Node component with `--cpu-prof` into DIR (written when the stack stops) and
 * names each profile's process in DIR/components.json. `--idle S` first
 * measures each process's CPU over S seconds with nothing to do, and the
 * CPU table then also shows what each used above that rate: the part the
 * registrations caused, whatever the length of the run. `--keep-logs DIR`
 * copies the stack's logs (every component's, and the audit log) into DIR
 * before the stack and its temporary state go.
 */
import { formatMarkdownFile } from '../../scripts/lib/format-markdown.js';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { listMail } from '@cnpaas/functions';
import { processCpuSeconds, status } from '@cnpaas/platform';
import path from 'node:path';
import { openStack } from '../support/demo-stack.js';
import { countRequests, requestsTable } from './audit-requests.js';
import { timelineTables, type AnsweredRegistration } from './timeline.js';
import { mailDir } from '../support/mail.js';

const API = '/apis/api.webshop.cnpaas.dev/v1/registrations';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '10' },
    write: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    idle: { type: 'string', default: '0' },
    'keep-logs': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'Usage: nx run e2e:bench [-- --count N] [--concurrency C] [--write] [--cpu-prof DIR] [--idle SECONDS] [--keep-logs DIR]',
  );
  process.exit(0);
}
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const idleSeconds = Number(values.idle);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('--count and --concurrency must be whole numbers ≥ 1');
  process.exit(2);
}
if (!(idleSeconds >= 0 && idleSeconds <= 600)) {
  console.error('--idle must be a number of seconds from 0 to 600');
  process.exit(2);
}

/** Names allow letters only: 0 → "Aa", 1 → "Ab", … */
function letters(i: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (i % 26)) + out;
    i = Math.floor(i / 26);
  } while (i > 0);
  return `A${out}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const profileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
if (profileDir) {
  mkdirSync(profileDir, { recursive: true });
  // The supervisor passes its environment on to every component it starts; Go's binaries ignore this.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
}
/** The machine's 1, 5 and 15 minute load averages: other work on it shows in the latency. */
const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = loadAverage();
const stack = await openStack(progress);
try {
  const run = Date.now().toString(36);
  const before = await status(stack.stateDir);
  if (profileDir)
    writeFileSync(
      path.join(profileDir, 'components.json'),
      JSON.stringify(Object.fromEntries(before.components.map((c) => [c.pid, c.name]))),
    );
  const cpuNow = () => new Map(before.components.map((c) => [c.name, processCpuSeconds(c.pid) ?? 0]));
  // Cores each process uses with nothing to do (watches, leases, resyncs), over --idle seconds.
  const idleCores = new Map<string, number>();
  if (idleSeconds > 0) {
    progress(`measuring idle CPU for ${idleSeconds} s`);
    const idleFrom = cpuNow();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    for (const [name, seconds] of cpuNow()) idleCores.set(name, (seconds - (idleFrom.get(name) ?? 0)) / idleSeconds);
  }
  const cpuBefore = cpuNow();
  const clientBefore = process.cpuUsage();

  const posted = new Map<string, number>();
  const answered: AnsweredRegistration[] = [];
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const windowStart = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const email = `bench.${run}.${i}@example.com`;
      const t0 = performance.now();
      posted.set(email, Date.now());
      const res = await stack.http
        .request('POST', API, {
          timeoutMs: 120_000,
          body: {
            apiVersion: 'webshop.cnpaas.dev/v1',
            kind: 'RegistrationRequest',
            spec: {
              user: { firstName: 'Bench', lastName: letters(i), email },
              password: `Bench-Mark-${i}-pass!`,
              tenant: { country: 'DE', city: 'Berlin', address: 'Main Street 1', postalCode: '10115' },
            },
          },
        })
        .catch((err: Error) => ({ status: 0, body: { message: err.message } }));
      if (res.status === 201) {
        latencies.push(performance.now() - t0);
        const registration = res.body as { metadata?: { name?: string }; status?: { tenant?: string } };
        answered.push({
          email,
          postedAt: posted.get(email)!,
          answeredAt: Date.now(),
          name: registration.metadata?.name ?? '',
          tenant: registration.status?.tenant ?? '',
        });
      } else failures.push(`${res.status} ${String(res.body?.message ?? '').slice(0, 300)}`);
      if ((i + 1) % 50 === 0) progress(`  ${i + 1}/${count} posted`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;

  // Mail: poll the SMTP server's store until every registration's mail is in (bounded).
  const mailed = new Map<string, number>();
  const deadline = Date.now() + 300_000;
  while (mailed.size < latencies.length && Date.now() < deadline) {
    for (const m of await listMail(mailDir(stack.stateDir))) {
      for (const to of m.to)
        if (posted.has(to) && !mailed.has(to)) mailed.set(to, Date.parse(m.receivedAt) - posted.get(to)!);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const mailsIn = (performance.now() - started) / 1000;
  // The work a registration causes goes on after its mail: the User controller makes the User's Secret and
  // RBAC off the path of the answer and the mail. The window closes once every User is Ready (bounded), so
  // that work is counted too; one LIST every 2 s (a cheap read from the watch cache) is what it costs.
  let ready = 0;
  while (Date.now() < deadline) {
    const users = (await stack.http.json({ method: 'GET', path: '/apis/webshop.cnpaas.dev/v1/users' })) as {
      items: Array<{ spec?: { email?: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    ready = users.items.filter(
      (u) =>
        posted.has(u.spec?.email ?? '') && u.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    if (ready >= latencies.length) break;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const windowEnd = Date.now();
  const after = await status(stack.stateDir);
  const client = process.cpuUsage(clientBefore);
  const totalSeconds = (performance.now() - started) / 1000;

  if (failures.length > 0)
    console.log(`${failures.length} registrations failed; first 5: ${failures.slice(0, 5).join('; ')}`);
  if (latencies.length === 0) throw new Error('no registration succeeded: see the failures above and cnpaas logs');
  const sorted = [...latencies].sort((a, b) => a - b);
  const mailSorted = [...mailed.values()].sort((a, b) => a - b);
  const cpu = after.components
    .map((c) => {
      const used = (processCpuSeconds(c.pid) ?? 0) - (cpuBefore.get(c.name) ?? 0);
      return { name: c.name, seconds: used, cores: used / totalSeconds };
    })
    .sort((a, b) => b.seconds - a.seconds);
  cpu.push({
    name: 'bench client',
    seconds: (client.user + client.system) / 1e6,
    cores: (client.user + client.system) / 1e6 / totalSeconds,
  });

  const rows = [
    `| registrations | ${latencies.length} of ${count} answered 201 (concurrency ${concurrency}) |`,
    `| throughput | ${(latencies.length / elapsed).toFixed(1)} registrations/s |`,
    `| POST → 201 p50 / p95 / p99 | ${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 95).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)} ms |`,
    `| POST → mail received p50 / p99 | ${mailSorted.length ? `${percentile(mailSorted, 50)} / ${percentile(mailSorted, 99)} ms (${mailSorted.length} mails)` : 'no mail'} |`,
    `| every mail in / every User Ready | ${mailsIn.toFixed(0)} s / ${ready === latencies.length ? `${totalSeconds.toFixed(0)} s` : `${ready} of ${latencies.length} Users Ready when the wait ended`} after the first POST |`,
  ];
  const perRegistration = (seconds: number) => `${((seconds / latencies.length) * 1000).toFixed(0)} ms`;
  const cpuTotal = cpu.reduce((n, c) => n + c.seconds, 0);
  const aboveIdle = (c: { name: string; seconds: number }) =>
    Math.max(0, c.seconds - (idleCores.get(c.name) ?? 0) * totalSeconds);
  const idleColumn = (c: { name: string; seconds: number }) =>
    idleSeconds > 0 ? ` ${(idleCores.get(c.name) ?? 0).toFixed(3)} | ${perRegistration(aboveIdle(c))} |` : '';
  const aboveIdleTotal = cpu.reduce((n, c) => n + aboveIdle(c), 0);
  const cpuRows = [
    ...cpu.map(
      (c) =>
        `| ${c.name} | ${c.seconds.toFixed(1)} s | ${c.cores.toFixed(2)} | ${perRegistration(c.seconds)} |${idleColumn(c)}`,
    ),
    `| **all processes** | **${cpuTotal.toFixed(1)} s** | **${(cpuTotal / totalSeconds).toFixed(2)}** | **${perRegistration(cpuTotal)}** |${
      idleSeconds > 0
        ? ` **${[...idleCores.values()].reduce((a, b) => a + b, 0).toFixed(3)}** | **${perRegistration(aboveIdleTotal)}** |`
        : ''
    }`,
  ];
  const report = [
    '| | |',
    '|---|---|',
    ...rows,
    '',
    `Load average (1, 5, 15 min) before the stack started: ${loadAtStart}; after the run: ${loadAverage()}.`,
    '',
    `CPU by process over the ${totalSeconds.toFixed(0)} s run (2 cores = 2.00):`,
    '',
    idleSeconds > 0
      ? `| process | CPU | cores | per registration | cores idle (${idleSeconds} s before) | per registration above idle |`
      : '| process | CPU | cores | per registration |',
    idleSeconds > 0 ? '|---|---|---|---|---|---|' : '|---|---|---|---|',
    ...cpuRows,
    '',
    `API requests per registration, by caller (kube-apiserver's audit log over the same window):`,
    '',
    requestsTable(
      countRequests({ logsDir: path.join(stack.stateDir, 'logs'), fromMs: windowStart, toMs: windowEnd }),
      latencies.length,
    ),
    '',
    'One registration, hop by hop (the requests of its flow in the audit log, timed from its POST):',
    '',
    timelineTables({
      logsDir: path.join(stack.stateDir, 'logs'),
      registrations: answered.map((r) => {
        const mail = mailed.get(r.email);
        return mail === undefined ? r : { ...r, mailedAt: r.postedAt + mail };
      }),
    }),
  ].join('\n');
  console.log(`\n${report}\n`);

  if (values.write) {
    const file = new URL('../../docs/benchmarks.md', import.meta.url);
    const heading = '## Registrations through the whole stack (nx run e2e:bench)';
    const has = readFileSync(file, 'utf8').includes(heading);
    const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`;
    appendFileSync(
      file,
      `${has ? '' : `\n${heading}\n`}\n### ${new Date().toISOString().slice(0, 10)}: ${count} registrations at concurrency ${concurrency}\n\n${machine}.\n\n${report}\n`,
    );
    await formatMarkdownFile(file);
    progress(`appended to docs/benchmarks.md`);
  }
} finally {
  if (values['keep-logs']) {
    const target = path.resolve(values['keep-logs']);
    cpSync(path.join(stack.stateDir, 'logs'), target, { recursive: true });
    progress(`logs copied to ${target}`);
  }
  await stack.close();
}
