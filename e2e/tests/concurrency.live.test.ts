/**
 * Concurrency: 30 registrations at once through kube-apiserver (distinct
 * emails). Each answers 201 with its own result (tenant == namespace == user,
 * email `<user>-welcome`, 30 distinct tenants), each answer belongs to its
 * own request (the User it names carries that request's address: no answers
 * crossed between concurrent watches), and all 30 welcome mails arrive,
 * once each.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { listMail } from '@cnpaas/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack, type DemoStack } from '../support/demo-stack.js';
import { mailDir, waitForMail } from '../support/mail.js';
import { say, step } from '../support/narrate.js';
import { REGISTRATIONS, listEmails, registrationBody, type RegistrationAnswer } from '../support/webshop.js';

const RUN = Date.now().toString(36);
const N = 30;
const GROUP = 'webshop.cnpaas.dev';

describe(`${N} concurrent registrations`, () => {
  let stack: DemoStack;

  beforeAll(async () => {
    stack = await openStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(`answers all ${N} with 201 and their own results, and sends ${N} mails`, async () => {
    step(`${N} registrations at once through kube-apiserver`);
    const emails = Array.from({ length: N }, (_, i) => `conc-${String(i).padStart(2, '0')}.${RUN}@example.com`);
    const started = Date.now();
    const results = await Promise.all(
      emails.map(async (email, i) => {
        const t0 = Date.now();
        const res = await stack.http
          .request('POST', REGISTRATIONS, {
            body: registrationBody(email, {
              firstName: `Conc ${String.fromCharCode(65 + (i % 26))}${'abcdefghijklmnopqrstuvwxyz'[Math.floor(i / 26)]}`,
            }),
            timeoutMs: 90_000,
          })
          .catch((err: Error) => ({ status: 0, body: err.message }));
        return { email, status: res.status, body: res.body as RegistrationAnswer, ms: Date.now() - t0 };
      }),
    );
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    say(
      `all answered in ${Date.now() - started} ms; per request min ${ms[0]} / median ${ms[Math.floor(N / 2)]} / max ${ms[N - 1]} ms`,
    );

    expect(
      results
        .filter((r) => r.status !== 201)
        .map((r) => `${r.email}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`),
    ).toEqual([]);
    for (const { email, body } of results) {
      const t = body.status.tenant;
      expect(t, email).toMatch(/^t-[0-9a-f]{12}$/);
      expect(body.status, email).toEqual({ tenant: t, namespace: t, user: t, email: `${t}-welcome` });
      expect(JSON.stringify(body), email).not.toContain('Compiler-A0-1952!');
    }
    expect(new Set(results.map((r) => r.body.status.tenant)).size).toBe(N);
    expect(new Set(results.map((r) => r.body.metadata.name)).size).toBe(N);

    // Where the time went: the mutating webhook hashes each password (argon2id, some tens of ms of CPU) and has a
    // 10 s timeout.
    const metrics = await stack.http.request('GET', '/metrics', { timeoutMs: 30_000 });
    const hooks = new Map<string, { count: number; over2_5: number; sum: number }>();
    for (const m of String(metrics.body).matchAll(
      /^apiserver_admission_webhook_admission_duration_seconds_(bucket|count|sum)\{([^}]*)\} (\S+)$/gm,
    )) {
      const labels = m[2]!;
      if (!labels.includes('operation="CREATE"')) continue;
      const name = /name="([^"]+)"/.exec(labels)?.[1] ?? '?';
      const h = hooks.get(name) ?? { count: 0, over2_5: 0, sum: 0 };
      if (m[1] === 'count') h.count += Number(m[3]);
      if (m[1] === 'sum') h.sum += Number(m[3]);
      if (m[1] === 'bucket' && labels.includes('le="2.5"')) h.over2_5 -= Number(m[3]);
      hooks.set(name, h);
    }
    for (const [name, h] of hooks) {
      if (h.count === 0) continue;
      say(
        `webhook ${name}: ${h.count} CREATE calls, mean ${(h.sum / h.count).toFixed(2)} s, ${h.count + h.over2_5} over 2.5 s`,
      );
    }

    step('Each answer names the objects its own request made');
    const users = (await stack.kubectlJson<{ items: any[] }>(['get', `users.${GROUP}`, '--all-namespaces'])).items;
    const userEmail = new Map(users.map((u) => [`${u.metadata.namespace}/${u.metadata.name}`, u.spec.email as string]));
    expect(users).toHaveLength(N);
    for (const { email, body } of results)
      expect(userEmail.get(`${body.status.namespace}/${body.status.user}`), email).toBe(email);
    const tenants = (await stack.kubectlJson<{ items: any[] }>(['get', `tenants.${GROUP}`])).items;
    expect(new Set(tenants.map((t) => t.metadata.name))).toEqual(new Set(results.map((r) => r.body.status.tenant)));

    step(`The ${N} welcome mails`);
    const wanted = new Set(emails);
    const mails = await waitForMail(stack.stateDir, (m) => m.to.some((t) => wanted.has(t)), N, 120_000);
    say(`${mails.length} mails ${Date.now() - started} ms after the first request`);
    await sleep(3_000);
    const final = (await listMail(mailDir(stack.stateDir))).filter((m) => m.to.some((t) => wanted.has(t)));
    expect(final).toHaveLength(N);
    expect(new Set(final.flatMap((m) => m.to))).toEqual(wanted);
    expect(new Set(final.map((m) => m.messageId)).size).toBe(N);
    const emailObjects = await listEmails(stack);
    const byRef = new Map(emailObjects.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
    for (const { email, body } of results) {
      const e = byRef.get(`${body.status.namespace}/${body.status.email}`);
      expect(e?.spec.toAddress, email).toBe(email);
      expect(e?.status?.sentTimestamp, email).toBeTruthy();
      expect(final.find((m) => m.to.includes(email))?.messageId, email).toBe(e?.status?.messageId);
    }
  }, 300_000);
});
