/**
 * The registration demo against a cluster the suite did not start: the same
 * checks for the in-cluster run here (tests/in-cluster.live.test.ts, each
 * component a local process as its pod would run) and for a real kind cluster
 * (tests/kind.live.test.ts, `nx run e2e --configuration=kind`).
 */
import type { StoredMail } from '@cnpaas/functions';
import type { KubeClient } from '@cnpaas/kube';
import { expect, it } from 'vitest';
import { waitFor } from '@cnpaas/service-kit/testing';
import { REGISTRATIONS, registrationBody, sentCondition, type EmailObject } from './webshop.js';

export interface ClusterDemoContext {
  /** A client with the rights of the person running the demo (an admin). */
  admin: KubeClient;
  /** kubectl with the cluster's kubeconfig; rejects on a non-zero exit. */
  kubectl: (args: string[], input?: string) => Promise<string>;
  /** The mail the demo SMTP server has stored. */
  mail: () => Promise<StoredMail[]>;
  /** Made unique per run, so the demo can run twice against one cluster. */
  suffix: string;
}

/** Declares the demo's tests; `context()` is called once they run (after the suite's beforeAll). */
export function clusterDemo(context: () => ClusterDemoContext): void {
  it('binds no client-certificate User: every grant is to a ServiceAccount of cnpaas-system', async () => {
    const { kubectl } = context();
    const bindings = JSON.parse(await kubectl(['get', 'clusterrolebindings,rolebindings', '-A', '-o', 'json'])) as {
      items: Array<{ metadata: { name: string }; subjects?: Array<{ kind: string; name: string }> }>;
    };
    const cnpaasUsers = bindings.items.flatMap((b) =>
      (b.subjects ?? [])
        .filter((s) => s.kind === 'User' && s.name.startsWith('cnpaas-'))
        .map((s) => `${b.metadata.name}: ${s.name}`),
    );
    expect(cnpaasUsers).toEqual([]);
  });

  it('refuses a weak password in the webhooks, called by kube-apiserver with its client certificate', async () => {
    const { admin, suffix } = context();
    const weak = registrationBody(`weak-${suffix}@example.com`, { password: 'password' });
    const res = await admin.request('POST', '/apis/webshop.cnpaas.dev/v1/registrationrequests', {
      body: { ...weak, metadata: { name: `weak-${suffix}` } },
    });
    expect(res.status).toBe(422);
    const message = (res.body as { message: string }).message;
    expect(message).toMatch(/admission webhook "[a-z-]+\.webshop\.cnpaas\.dev" denied the request/);
    expect(message).toContain('spec.password');
  });

  it('answers a registration through the aggregated API, and sends the welcome mail once', async () => {
    const { admin, mail, suffix } = context();
    const address = `grace-${suffix}@example.com`;
    const res = await admin.request('POST', REGISTRATIONS, { body: registrationBody(address), timeoutMs: 60_000 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const answer = res.body as { status: { namespace: string; email: string } };
    const email = await waitFor(
      'the welcome Email to be sent',
      async () => {
        const e = await admin.json<EmailObject>({
          method: 'GET',
          path: `/apis/webshop.cnpaas.dev/v1/namespaces/${answer.status.namespace}/emails/${answer.status.email}`,
        });
        return sentCondition(e)?.status === 'True' ? e : undefined;
      },
      60_000,
    );
    expect(email.spec.toAddress).toBe(address);
    const received = await waitFor(
      'the mail at the SMTP server',
      async () => {
        const all = (await mail()).filter((m) => m.to.includes(address));
        return all.length > 0 ? all : undefined;
      },
      30_000,
    );
    expect(received).toHaveLength(1);
  });

  it('turns a RegistrationRequest made with kubectl into a Ready Tenant with its own namespace', async () => {
    const { kubectl, suffix } = context();
    const name = `ada-${suffix}`;
    const body = { ...registrationBody(`${name}@example.com`, { firstName: 'Ada' }), metadata: { name } };
    await kubectl(['create', '-f', '-'], JSON.stringify(body));
    await kubectl(['wait', '--for=delete', `registrationrequest/${name}`, '--timeout=60s']);
    const tenants = JSON.parse(await kubectl(['get', 'tenants', '-o', 'json'])) as {
      items: Array<{
        metadata: { name: string; labels?: Record<string, string> };
        status?: { conditions?: Array<{ type: string; status: string }> };
      }>;
    };
    const ready = tenants.items.filter((t) => t.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(ready.length).toBe(tenants.items.length);
    const namespaces = await kubectl(['get', 'namespaces', '-o', 'name']);
    for (const t of tenants.items) expect(namespaces).toContain(`namespace/${t.metadata.name}`);
  });
}
