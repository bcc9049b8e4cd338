/**
 * Crash safety of the operator: it is killed with SIGKILL at random points
 * while 50 registrations arrive; the supervisor restarts it (1 s doubling
 * backoff), each new process waits for the dead one's leader Lease to lapse,
 * and every registration still finishes exactly once: 50 Tenants, Users,
 * Emails and password Secrets, no duplicates, every User Ready, each Secret
 * holding the hash of its own registration's password.
 *
 * Each kill lands 0-250 ms after RegistrationRequests are seen waiting: the
 * operator finishes one in well under a second, so a longer pause would
 * mostly kill an idle process. When the operator did finish them within that
 * pause, the kill waits for the next ones and tries again with a shorter pause.
 *
 * Randomness is seeded (WEBSHOP_CRASH_SEED to replay); the seed is printed.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom, waitFor } from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '../src/status.js';
import type { KubeClient } from '@cnpaas/kube';
import { kubeClientFromPki } from '../src/pki-client.js';
import { startStack, type TestStack } from './support/stack.js';
import {
  GROUP,
  REGISTRATION_UID_LABEL,
  RR_PATH,
  condition,
  controllerOf,
  normalise,
  registration,
  scanBytes,
  passwordMatches,
} from './support/webshop-registrations.js';

const TOTAL = 50;
const KILLS = 5;
/** Registrations kept back for each kill still to come, sent one or two at a time so a kill can try again. */
const RESERVED_PER_KILL = 4;
const SEED = Number(process.env['WEBSHOP_CRASH_SEED'] ?? randomBytes(4).readUInt32BE(0));
const TAG = [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');

interface Submitted {
  name: string;
  uid: string;
  email: string;
  password: string;
}

interface Kill {
  pid: number;
  atMs: number;
  pendingRrs: number;
  /** Moments tried before one found registrations still in hand. */
  attempts: number;
}

describe('registrations survive an operator killed at random points', () => {
  let stack: TestStack;
  let http: KubeClient;
  const random = seededRandom(SEED);
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

  beforeAll(async () => {
    console.log(`webshop crash test seed: ${SEED} (replay with WEBSHOP_CRASH_SEED=${SEED})`);
    stack = await startStack({ components: 'all' });
    http = kubeClientFromPki({ server: stack.result.server, pkiDir: path.join(stack.stateDir, 'pki') });
  });
  afterAll(async () => {
    http?.close();
    await stack?.stop();
  });

  const operator = async (): Promise<{ pid: number | null; healthy: boolean; restarts: number }> => {
    const report = await status(stack.stateDir);
    const c = report.components.find((x) => x.name === 'operator');
    if (!c) throw new Error(`no operator component in ${report.components.map((x) => x.name).join(', ')}`);
    return { pid: c.pid, healthy: c.healthy, restarts: c.restarts };
  };
  const pendingRrs = async (): Promise<number> => {
    const res = await http.request('GET', RR_PATH);
    return res.status === 200 ? (res.body.items as unknown[]).length : -1;
  };

  it(`finishes all ${TOTAL} registrations exactly once while the operator is killed ${KILLS} times`, async () => {
    const started = Date.now();
    const submitted: Submitted[] = [];
    const failures: string[] = [];
    const kills: Kill[] = [];

    // The killer is armed while it waits for registrations in flight to kill the operator under.
    let armed = false;
    let allSent = false;

    // Registrations in small concurrent batches, paced so they spread over the kills. The operator answers a
    // registration in well under a second, faster than it comes back from a kill (restart backoff, then the dead
    // leader's Lease must lapse), so a few registrations are held back for each kill still to come and sent only
    // once the killer is armed: every kill then has work in flight, and the last batches cannot all be done first.
    const create = (async () => {
      let i = 0;
      while (i < TOTAL) {
        // The killer may arm, find work already pending and fire between two polls, the last time included: a
        // kill made while waiting ends the wait too, or the last one would leave this loop waiting for good.
        const reserved = kills.length < KILLS && TOTAL - i <= RESERVED_PER_KILL * (KILLS - kills.length);
        if (reserved) {
          const killsBefore = kills.length;
          await waitFor('the killer to be armed', async () => armed || kills.length > killsBefore, 180_000, 50);
        }
        const size = reserved ? between(1, 2) : between(2, 4);
        const batch = Array.from({ length: Math.min(size, TOTAL - i) }, () => i++);
        await Promise.all(
          batch.map(async (n) => {
            const name = `crash-${String(n).padStart(2, '0')}`;
            const email = `crash-${n}-${TAG}@example.com`;
            const password = `Crash-${n}-${TAG}!`;
            const res = await http.request('POST', RR_PATH, {
              body: registration(name, { email, password }),
              timeoutMs: 30_000,
            });
            if (res.status === 201) submitted.push({ name, uid: res.body.metadata.uid, email, password });
            else failures.push(`${name}: HTTP ${res.status} ${JSON.stringify(res.body?.message ?? res.body)}`);
          }),
        );
        await sleep(between(1_500, 5_000));
      }
      allSent = true;
    })();

    // The killer: each time the (restarted) operator is leading again, wait a random moment and SIGKILL it.
    const killer = (async () => {
      let lastPid: number | null = null;
      for (let k = 0; k < KILLS; k++) {
        const pid = await waitFor(
          `operator ready again after kill ${k}`,
          async () => {
            const op = await operator();
            return op.healthy && op.pid !== null && op.pid !== lastPid ? op.pid : undefined;
          },
          90_000,
          100,
        );
        // A kill with nothing to do proves little: wait until registrations are in flight, then a random moment
        // shorter than the operator needs for one. If it finished them within that moment, wait for the next ones
        // and try a shorter moment; only once every registration is sent and done may a kill find it idle.
        let pending = 0;
        let attempt = 0;
        for (; pending === 0; attempt++) {
          armed = true;
          await waitFor('a pending RegistrationRequest', async () => (await pendingRrs()) > 0 || allSent, 60_000, 50);
          armed = false;
          await sleep(between(0, Math.floor(250 / 2 ** attempt)));
          pending = await pendingRrs();
          if (pending === 0 && allSent) break;
        }
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          throw new Error(`could not kill operator pid ${pid}: ${(err as Error).message}`, { cause: err });
        }
        kills.push({ pid, atMs: Date.now() - started, pendingRrs: pending, attempts: attempt });
        lastPid = pid;
      }
    })();

    await Promise.all([create, killer]);
    console.log(
      `kills (ms since start:RRs pending:moments tried): ${kills.map((k) => `${k.atMs}:${k.pendingRrs}:${k.attempts}`).join(', ')}`,
    );
    expect(failures).toEqual([]);
    expect(submitted).toHaveLength(TOTAL);
    expect(kills).toHaveLength(KILLS);
    expect(new Set(kills.map((k) => k.pid)).size).toBe(KILLS);
    // The kills hit an operator with work in hand, not an idle one.
    expect(kills.filter((k) => k.pendingRrs > 0).length).toBeGreaterThanOrEqual(KILLS - 1);

    // The supervisor brings the operator back, and the backlog drains. The last kill may land once every
    // registration is sent and done, a few milliseconds before this: the operator's return is waited for too.
    await waitFor('every RegistrationRequest gone', async () => (await pendingRrs()) === 0, 180_000, 500);
    console.log(`all ${TOTAL} registrations done ${Date.now() - started} ms after the first`);
    const killed = kills.map((k) => k.pid);
    const op = await waitFor(
      'the operator healthy again, as a process not killed',
      async () => {
        const o = await operator();
        return o.healthy && o.pid !== null && !killed.includes(o.pid) ? o : undefined;
      },
      90_000,
      100,
    );
    expect(op.healthy).toBe(true);
    expect(killed).not.toContain(op.pid);

    const list = async (resource: string): Promise<any[]> =>
      (await stack.kubectlJson<{ items: any[] }>(['get', resource, '--all-namespaces'])).items;
    const uids = new Set(submitted.map((s) => s.uid));
    const ours = (items: any[]): any[] => items.filter((o) => uids.has(o.metadata?.labels?.[REGISTRATION_UID_LABEL]));
    const byUid = (items: any[]): Map<string, any[]> => {
      const m = new Map<string, any[]>();
      for (const o of ours(items))
        m.set(o.metadata.labels[REGISTRATION_UID_LABEL], [
          ...(m.get(o.metadata.labels[REGISTRATION_UID_LABEL]) ?? []),
          o,
        ]);
      return m;
    };
    const dupes = (m: Map<string, any[]>): string[] =>
      [...m].filter(([, v]) => v.length !== 1).map(([k, v]) => `${k}×${v.length}`);

    // The RR goes once its User exists; the User controller makes the User's Secret and RBAC on its own time: wait for every User Ready, bounded.
    await waitFor(
      'every User Ready',
      async () => {
        const items = ours(await list(`users.${GROUP}`));
        return items.length === TOTAL && items.every((u) => condition(u, 'Ready')?.status === 'True');
      },
      60_000,
      500,
    );
    const users = await list(`users.${GROUP}`);
    const tenants = await list(`tenants.${GROUP}`);
    const namespaces = await list('namespaces');
    const emails = await list(`emails.${GROUP}`);
    const secrets = (await list('secrets')).filter((s) => s.type === `${GROUP}/password-hash`);

    for (const [kind, items] of [
      ['Tenant', tenants],
      ['Namespace', namespaces],
      ['User', users],
      ['Email', emails],
      ['Secret', secrets],
    ] as const) {
      const m = byUid(items);
      expect(m.size, kind).toBe(TOTAL);
      expect(dupes(m), kind).toEqual([]);
      // Nothing was made twice under another label either.
      expect(
        items.filter(
          (o) => o.metadata?.labels?.[REGISTRATION_UID_LABEL] && !uids.has(o.metadata.labels[REGISTRATION_UID_LABEL]),
        ),
        kind,
      ).toEqual([]);
    }
    expect(tenants).toHaveLength(TOTAL);
    expect(users).toHaveLength(TOTAL);
    expect(emails).toHaveLength(TOTAL);
    expect(secrets).toHaveLength(TOTAL);
    // One User per address.
    expect(new Set(users.map((u) => u.spec.email))).toEqual(new Set(submitted.map((s) => normalise(s.email))));

    const tenantByUid = new Map(tenants.map((t) => [t.metadata.labels[REGISTRATION_UID_LABEL], t]));
    for (const u of users) {
      const uid = u.metadata.labels[REGISTRATION_UID_LABEL];
      const t = tenantByUid.get(uid);
      expect(t, uid).toBeDefined();
      const name = `t-${uid.replace(/-/g, '').slice(0, 12)}`;
      expect([u.metadata.name, u.metadata.namespace, t.metadata.name]).toEqual([name, name, name]);
      expect(condition(u, 'PasswordStored')?.status, name).toBe('True');
      expect(condition(u, 'TenantAccess')?.status, name).toBe('True');
      expect(condition(u, 'NameConflict')?.status ?? 'False', name).toBe('False');
      expect(u.metadata.annotations?.[`${GROUP}/password`], name).toBeUndefined();
      expect(u.status.passwordRef, name).toEqual({ name: `${name}-password` });
      expect(condition(t, 'Ready')?.status, name).toBe('True');
    }
    for (const e of emails)
      expect(controllerOf(e), e.metadata.name).toMatch(new RegExp(`^User/${e.metadata.namespace}/`));
    for (const s of secrets)
      expect(controllerOf(s), s.metadata.name).toMatch(new RegExp(`^User/${s.metadata.namespace}/`));
    for (const n of ours(namespaces))
      expect(controllerOf(n), n.metadata.name).toMatch(new RegExp(`^Tenant/${n.metadata.name}/`));

    // Each Secret holds the hash of its own registration's password (a sample, checked with node:crypto).
    const secretByUid = new Map(secrets.map((s) => [s.metadata.labels[REGISTRATION_UID_LABEL], s]));
    const sample = [...submitted].sort(() => random() - 0.5).slice(0, 4);
    for (const s of sample) {
      const hash = Buffer.from(secretByUid.get(s.uid).data.hash, 'base64').toString('utf8');
      expect(await passwordMatches(s.password, hash), s.name).toBe(true);
    }
    const other = submitted.find((s) => s.uid !== sample[0]!.uid)!;
    expect(
      await passwordMatches(
        other.password,
        Buffer.from(secretByUid.get(sample[0]!.uid).data.hash, 'base64').toString('utf8'),
      ),
    ).toBe(false);

    // And no password of the fifty anywhere in the state dir's bytes.
    const scan = scanBytes(
      stack.stateDir,
      submitted.map((s) => s.password),
    );
    expect(scan.bytes).toBeGreaterThan(1_000_000);
    expect(Object.fromEntries(scan.hits)).toEqual({});
  }, 420_000);
});
