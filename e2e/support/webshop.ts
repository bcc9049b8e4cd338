/** Registration bodies, the stack's components by name, and Email reads for the e2e suites. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SENT_CONDITION, type EmailStatus } from '@cnpaas/functions';
import { statePaths } from '@cnpaas/platform';
import { expect } from 'vitest';
import type { DemoStack } from './demo-stack.js';

export const REGISTRATIONS = '/apis/api.webshop.cnpaas.dev/v1/registrations';
export const EMAILS = '/apis/webshop.cnpaas.dev/v1/emails';

/** A valid registration (RegistrationRequest form, plain password: the webhooks hash it). */
export function registrationBody(email: string, opts: { firstName?: string; password?: string } = {}) {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'RegistrationRequest',
    spec: {
      user: { firstName: opts.firstName ?? 'Grace', lastName: 'Hopper', email },
      password: opts.password ?? 'Compiler-A0-1952!',
      tenant: {
        companyName: 'Eckert-Mauchly',
        country: 'US',
        city: 'Philadelphia',
        address: '3747 Ridge Avenue',
        postalCode: '19132',
      },
    },
  };
}

export interface RegistrationAnswer {
  metadata: { name: string; uid?: string };
  status: { tenant: string; namespace: string; user: string; email: string };
}

/**
 * Checks what a 201 says was made: a Tenant named `t-` and twelve hex digits,
 * its Namespace and User under the same name, and its welcome Email
 * `<tenant>-welcome`. The names are written out here, not taken from the
 * contract's naming functions, so that the check can fail.
 */
export function expectRegistered(answer: RegistrationAnswer): void {
  const { tenant } = answer.status;
  expect(tenant).toMatch(/^t-[0-9a-f]{12}$/);
  expect(answer.status).toEqual({ tenant, namespace: tenant, user: tenant, email: `${tenant}-welcome` });
}

export interface EmailObject {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; generation?: number };
  spec: { toAddress: string; subject: string; [k: string]: unknown };
  status?: EmailStatus;
}

/** The email function's `Sent` condition. */
export function sentCondition(email: EmailObject) {
  return email.status?.conditions?.find((c) => c.type === SENT_CONDITION);
}

/** The component's pid as the supervisor recorded it in state.json (no health probe: works on a stopped process too). */
export function componentPid(stateDir: string, name: string): number {
  const state = JSON.parse(readFileSync(statePaths(stateDir).stateFile, 'utf8')) as {
    components: Record<string, { pid: number }>;
  };
  const c = state.components[name];
  if (!c) throw new Error(`no component ${name} in ${Object.keys(state.components).join(', ')}`);
  return c.pid;
}

/** Every Email in the cluster, through kube-apiserver. */
export async function listEmails(stack: DemoStack): Promise<EmailObject[]> {
  const res = await stack.http.request('GET', EMAILS, { timeoutMs: 30_000 });
  if (res.status !== 200)
    throw new Error(`GET ${EMAILS}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return (res.body as { items: EmailObject[] }).items;
}

export async function getEmail(stack: DemoStack, namespace: string, name: string): Promise<EmailObject> {
  const p = `/apis/webshop.cnpaas.dev/v1/namespaces/${namespace}/emails/${name}`;
  const res = await stack.http.request('GET', p, { timeoutMs: 30_000 });
  if (res.status !== 200) throw new Error(`GET ${p}: HTTP ${res.status}`);
  return res.body as EmailObject;
}

export function logFile(stateDir: string, component: string): string {
  return path.join(statePaths(stateDir).logs, `${component}.log`);
}
