/**
 * The registration demo (docs/design.md "The registration flow"), step by step on a live stack:
 * register with `kubectl create --raw` and with an HTTP client through the
 * kube-apiserver, then follow one registration into every object it became,
 * the database each object lives in, and the welcome mail.
 */
import { readMail } from '@cnpaas/functions';
import { simpleParser } from 'mailparser';
import { status } from '@cnpaas/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack, type DemoStack } from '../support/demo-stack.js';
import { mailDir, waitForMail } from '../support/mail.js';
import { say, show, step } from '../support/narrate.js';
import { waitFor } from '@cnpaas/service-kit/testing';
import { liveKeys } from '../support/sqlite.js';
import { expectRegistered, sentCondition, type RegistrationAnswer } from '../support/webshop.js';

const API = '/apis/api.webshop.cnpaas.dev/v1/registrations';
// Unique per run: a kept `.cnpaas/` already holds earlier runs' users, and emails are unique.
const RUN = Date.now().toString(36);

function registrationYaml(first: string, last: string, email: string, company: string): string {
  return `apiVersion: webshop.cnpaas.dev/v1
kind: RegistrationRequest
spec:
  user:
    firstName: ${first}
    lastName: ${last}
    email: "${email}"
  password: "Analytical-Engine-1843!"
  tenant:
    companyName: ${company}
    country: GB
    city: London
    address: 12 St James's Square
    postalCode: SW1Y 4JH
`;
}

describe('the cnpaas registration demo', () => {
  let stack: DemoStack;
  let ada: RegistrationAnswer;
  let charles: RegistrationAnswer;
  const adaEmail = `ada.${RUN}@example.com`;
  const charlesEmail = `charles.${RUN}@example.com`;

  beforeAll(async () => {
    step(
      'Bring up the embedded stack: cnpaas-store, kube-apiserver, kube-controller-manager, webhooks, operator, API server, SMTP, function, trigger',
    );
    stack = await openStack();
  });
  afterAll(async () => {
    step('Done');
    await stack?.close();
  });

  it('answers 201 to a registration sent with kubectl create --raw', async () => {
    step('Register Ada with kubectl, through the aggregated API');
    say(`$ kubectl create --raw ${API} -f ada.yaml`);
    const body = await stack.kubectl(
      ['create', '--raw', API, '-f', '-'],
      registrationYaml('Ada', 'Lovelace', `  Ada.${RUN}@Example.com `, 'Analytical Engines Ltd'),
    );
    ada = JSON.parse(body);
    show('201 Created:', JSON.stringify(ada, null, 2));
    expectRegistered(ada);
    expect(JSON.stringify(ada)).not.toContain('Analytical-Engine-1843!');
  });

  it('answers 201 to the same API called by an HTTP client through the kube-apiserver', async () => {
    step('Register Charles with a plain HTTPS POST to the kube-apiserver (it proxies to the API server)');
    say(`POST ${stack.result.server}${API}  (client certificate: the admin's)`);
    const res = await stack.http.request('POST', API, {
      timeoutMs: 60_000,
      body: {
        apiVersion: 'webshop.cnpaas.dev/v1',
        kind: 'RegistrationRequest',
        spec: {
          user: { firstName: 'Charles', lastName: 'Babbage', email: charlesEmail },
          password: 'Difference-Engine-1822!',
          tenant: { country: 'GB', city: 'London', address: '1 Dorset Street', postalCode: 'W1U 4EG' },
        },
      },
    });
    show(`${res.status}:`, JSON.stringify(res.body, null, 2));
    expect(res.status).toBe(201);
    charles = res.body;
    expect(charles.status.namespace).toMatch(/^t-[0-9a-f]{12}$/);
    expect(charles.status.namespace).not.toBe(ada.status.namespace);
  });

  it('made a tenant with its own namespace, a user with scoped RBAC and a password secret', async () => {
    step(`Follow Ada's registration: ${ada.status.tenant}`);
    const ns = ada.status.namespace;
    const tenant = await stack.kubectlJson(['get', 'tenant', ada.status.tenant]);
    show('$ kubectl get tenant', await stack.kubectl(['get', 'tenant', ada.status.tenant]));
    expect(tenant.spec.companyName).toBe('Analytical Engines Ltd');

    const namespace = await stack.kubectlJson(['get', 'namespace', ns]);
    show('$ kubectl get namespace', await stack.kubectl(['get', 'namespace', ns]));
    expect(namespace.metadata.ownerReferences[0]).toMatchObject({
      kind: 'Tenant',
      name: ada.status.tenant,
      controller: true,
    });

    // The registration is done once the User exists; its own controller fills its status right after.
    const user = await waitFor(
      "Ada's User to have its password Secret",
      async () => {
        const obj = await stack.kubectlJson(['get', 'user', ada.status.user, '-n', ns]);
        return obj.status?.passwordRef ? obj : undefined;
      },
      30_000,
    );
    show('$ kubectl get user -n ' + ns, await stack.kubectl(['get', 'user', ada.status.user, '-n', ns]));
    expect(user.spec.email).toBe(adaEmail);
    expect(user.status.passwordRef.name).toBeTruthy();

    show(
      '$ kubectl get serviceaccount,role,rolebinding,secret -n ' + ns,
      await stack.kubectl(['get', 'serviceaccount,role,rolebinding,secret', '-n', ns]),
    );
    const secret = await stack.kubectlJson(['get', 'secret', user.status.passwordRef.name, '-n', ns]);
    const hash = Buffer.from(Object.values(secret.data as Record<string, string>)[0]!, 'base64').toString('utf8');
    say(`the password is stored only as a hash: ${hash.slice(0, 24)}…`);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);

    const sa = `system:serviceaccount:${ns}:${ada.status.user}`;
    const canI = async (...args: string[]) =>
      (await stack.kubectlRun(['auth', 'can-i', ...args, '--as', sa])).stdout.trim();
    const checks: Array<[string[], string]> = [
      [['get', `users.webshop.cnpaas.dev/${ada.status.user}`, '-n', ns], 'yes'],
      [['get', `tenants.webshop.cnpaas.dev/${ada.status.tenant}`], 'yes'],
      [['get', `users.webshop.cnpaas.dev/${charles.status.user}`, '-n', charles.status.namespace], 'no'],
      [['list', 'secrets', '-n', ns], 'no'],
    ];
    for (const [args, expected] of checks) {
      const answer = await canI(...args);
      say(`kubectl auth can-i ${args.join(' ')} --as ${sa}: ${answer.split('\n')[0]}`);
      expect(answer, args.join(' ')).toBe(expected);
    }
  });

  it('routed each object to its own database', async () => {
    const backends = await stack.backends();
    step(
      `Where each object lives: one database per kind (${backends.map((b) => `${b.name} in ${b.where}`).join(', ')}; read straight from each)`,
    );
    const report = await status(stack.stateDir);
    show(
      'keys per backend (cnpaas status):',
      Object.entries(report.backendKeys ?? {})
        .map(([b, n]) => `${b.padEnd(8)} ${n}`)
        .join('\n'),
    );
    /** The backends holding a key (live or historical) that contains `needle`. */
    const whereIs = async (needle: string) => {
      const found: string[] = [];
      for (const b of backends) if ((await b.keysContaining(needle)).length > 0) found.push(b.name);
      return found;
    };
    const places = {
      tenant: await whereIs(`/tenants/${ada.status.tenant}`),
      user: await whereIs(`/users/${ada.status.namespace}/`),
      email: await whereIs(`/emails/${ada.status.namespace}/`),
      registration: await whereIs(`/registrationrequests/${ada.metadata.name}`),
    };
    const where = (name: string) => backends.find((b) => b.name === name)?.where ?? name;
    show(
      'object → backend:',
      Object.entries(places)
        .map(([what, found]) => `${what.padEnd(13)} ${found.map((b) => `${b} (${where(b)})`).join(', ')}`)
        .join('\n'),
    );
    expect(places.tenant).toEqual(['tenants']);
    expect(places.user).toEqual(['users']);
    expect(places.email).toEqual(['emails']);
    expect(places.registration).toEqual(['main']);
    // The registration was deleted once done: only its history remains.
    expect(
      liveKeys(stack.stateDir, 'main.db', `/registry/webshop.cnpaas.dev/registrationrequests/${ada.metadata.name}`),
    ).toEqual([]);
  });

  it('sent each welcome mail exactly once, through the trigger and the function', async () => {
    step('The welcome mail: Email object → HTTPTrigger → email function → SMTP');
    const mails = await waitForMail(stack.stateDir, (m) => m.to.includes(adaEmail) || m.to.includes(charlesEmail), 2);
    show('$ cnpaas mail', mails.map((m) => `${m.id}  ${m.to.join(', ')}  ${m.subject}`).join('\n'));
    const adaMail = mails.find((m) => m.to.includes(adaEmail))!;
    const { raw } = await readMail(mailDir(stack.stateDir), adaMail.id);
    const parsed = await simpleParser(raw);
    show(
      `$ cnpaas mail ${adaMail.id}`,
      `From: ${parsed.from?.text}\nTo: ${adaMail.to.join(', ')}\nSubject: ${parsed.subject}\nMessage-ID: ${parsed.messageId}\n\n${parsed.text ?? ''}`,
    );
    expect(adaMail.subject).toContain('Ada');
    expect(parsed.text).toContain('Analytical Engines Ltd');
    expect(raw.toString('utf8')).not.toContain('Analytical-Engine-1843!');

    const email = await stack.kubectlJson(['get', 'email', ada.status.email, '-n', ada.status.namespace]);
    show(
      '$ kubectl get email -n ' + ada.status.namespace,
      await stack.kubectl(['get', 'email', ada.status.email, '-n', ada.status.namespace]),
    );
    expect(email.status.sentTimestamp).toBeTruthy();
    expect(email.status.observedGeneration).toBe(email.metadata.generation);
    expect(sentCondition(email)).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: email.metadata.generation,
    });
    expect(email.status.messageId).toBe(adaMail.messageId);
    expect(mails.filter((m) => m.to.includes(adaEmail))).toHaveLength(1);
  });
});
