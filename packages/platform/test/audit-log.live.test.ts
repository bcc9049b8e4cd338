/**
 * kube-apiserver's audit log under `cnpaas up` (src/audit-log.ts,
 * manifests/audit-policy.yaml), on one real stack: a registration through
 * the aggregated API is in the log, request by request (the registration,
 * its RegistrationRequest, the User, the password Secret), but neither its
 * password nor its hash appears anywhere in the log's bytes, while the
 * bodies of other writes (the Tenant, the welcome Email) are there: the
 * absence is the policy's doing, not a log without bodies.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogFile } from '../src/audit-log.js';
import type { KubeClient } from '@cnpaas/kube';
import { kubeClientFromPki } from '../src/pki-client.js';
import { startStack, type TestStack } from './support/stack.js';
import { GROUP, REGISTRATIONS_PATH, registration, scanBytes } from './support/webshop-registrations.js';
import { waitFor } from '@cnpaas/service-kit/testing';

interface AuditEvent {
  level: string;
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code: number };
  requestObject?: unknown;
  responseObject?: unknown;
}

/** A per-run password: letters and digits the JSON encoder leaves as they are, so a byte search finds every copy. */
const PASSWORD = `Audit-${randomBytes(9).toString('hex')}-Pw1!`;
const EMAIL = `audit.${randomBytes(4).toString('hex')}@example.com`;

describe("the audit log keeps registrations' passwords and hashes out (live)", () => {
  let stack: TestStack;
  let admin: KubeClient;
  let tenant: string;
  let hash: string;
  let events: AuditEvent[];

  beforeAll(async () => {
    stack = await startStack({ components: 'all' });
    admin = kubeClientFromPki({ server: stack.result.server, pkiDir: path.join(stack.stateDir, 'pki') });
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  const auditFiles = () =>
    readdirSync(stack.result.paths.logs)
      .filter((f) => f.startsWith('audit'))
      .map((f) => path.join(stack.result.paths.logs, f));
  const readEvents = (): AuditEvent[] =>
    auditFiles().flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditEvent),
    );
  const find = (resource: string, verb: string, user?: string) =>
    events.find(
      (e) =>
        e.objectRef?.resource === resource &&
        !e.objectRef.subresource &&
        e.verb === verb &&
        (!user || e.user.username === user),
    );

  it('registers someone through the aggregated API with auditing on', async () => {
    expect(auditLogFile(stack.result.paths)).toBe(path.join(stack.stateDir, 'logs', 'audit.log'));
    const res = await admin.request('POST', REGISTRATIONS_PATH, {
      timeoutMs: 60_000,
      body: registration('audited', { email: EMAIL, password: PASSWORD }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    tenant = res.body.status.tenant;
    const stored = await waitFor(
      'the password Secret',
      async () => {
        const s = await admin.request('GET', `/api/v1/namespaces/${tenant}/secrets/${tenant}-password`);
        return s.status === 200 ? s.body : undefined;
      },
      60_000,
    );
    hash = Buffer.from(stored.data.hash, 'base64').toString('utf8');
    expect(hash).toMatch(/^\$(scrypt|argon2id)\$/);
    // The operator's last step for this User (the annotation holding the hash removed) is in the log once it is written.
    events = await waitFor(
      "the User's password annotation removal in the audit log",
      async () => {
        const all = readEvents();
        return all.some(
          (e) =>
            e.objectRef?.resource === 'users' &&
            e.objectRef.name === tenant &&
            e.verb === 'patch' &&
            e.user.username === 'cnpaas-operator',
        )
          ? all
          : undefined;
      },
      30_000,
      500,
    );
  });

  it('logs each step of it at Metadata: the registration, its RegistrationRequest, the User, the Secret', () => {
    const steps = [
      find('registrations', 'create'),
      find('registrationrequests', 'create'),
      find('users', 'create', 'cnpaas-operator'),
      find('secrets', 'create', 'cnpaas-operator'),
    ];
    for (const e of steps) {
      expect(e).toBeDefined();
      expect(e!.level).toBe('Metadata');
      expect(e!.requestObject).toBeUndefined();
      expect(e!.responseObject).toBeUndefined();
    }
    expect(steps[0]).toMatchObject({
      objectRef: { apiGroup: 'api.webshop.cnpaas.dev' },
      responseStatus: { code: 201 },
    });
    expect(steps[3]!.objectRef).toMatchObject({ namespace: tenant, name: `${tenant}-password` });
  });

  it('logs other writes with their bodies (the Tenant, the welcome Email)', () => {
    const created = find('tenants', 'create', 'cnpaas-operator');
    expect(created).toMatchObject({ level: 'RequestResponse', objectRef: { apiGroup: GROUP, name: tenant } });
    expect(created!.requestObject).toBeDefined();
    expect(find('emails', 'create', 'cnpaas-operator')?.level).toBe('RequestResponse');
  });

  it("has neither the password nor its hash anywhere in its bytes, but does have the person's address", () => {
    expect(auditFiles().reduce((n, f) => n + statSync(f).size, 0)).toBeGreaterThan(0);
    const needles = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), hash, Buffer.from(hash).toString('base64')];
    const scan = scanBytes(stack.result.paths.logs, [...needles, EMAIL]);
    const inAudit = (needle: string) => (scan.hits.get(needle) ?? []).filter((f) => f.startsWith('audit'));
    for (const needle of needles) expect(inAudit(needle), `a secret in ${inAudit(needle).join(', ')}`).toEqual([]);
    // The search itself works: the address is in the welcome Email's logged body.
    expect(inAudit(EMAIL)).toEqual(['audit.log']);
  });
});
