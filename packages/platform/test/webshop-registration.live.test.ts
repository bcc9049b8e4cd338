/**
 * The webshop registration, proved on one real stack (`cnpaas up --ports auto` with
 * the webhooks and the operator), driven through kubectl and the
 * apiserver's HTTPS API:
 *
 * 1. a RegistrationRequest becomes a Tenant, Namespace, User, ServiceAccount,
 *    Role, RoleBinding, password Secret and welcome Email with the designed
 *    ownership and conditions; the RR is gone; the SQLite files show each kind
 *    in its own backend;
 * 2. a table of bad registrations, each refused with a message naming the
 *    problem and nothing persisted (no RR, no claim, no Tenant), including a
 *    plain password refused by the CRD's CEL rule when the mutating webhook
 *    is missing;
 * 3. (last) no test password anywhere in the state dir's bytes;
 * 4. RBAC isolation of a tenant's ServiceAccount, with two tenants;
 * 5. twenty simultaneous registrations of one address: one wins, nineteen 409;
 * 6. every EmailTemplate gets a Valid condition: the shipped one renders, a
 *    typo in another namespace is named with its position, a fix clears it.
 */
import { argon2Sync, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@cnpaas/kube';
import { kubeClientFromPki } from '../src/pki-client.js';
import { status } from '../src/status.js';
import { keysContaining, liveKeys } from '@cnpaas/storage-shim/inspect';
import { startStack, type TestStack } from './support/stack.js';
import {
  CLAIM_LABEL,
  GROUP,
  REGISTRATION_UID_LABEL,
  RR_PATH,
  SYSTEM_NAMESPACE,
  condition,
  controllerOf,
  emailDigest,
  kubectlRun,
  normalise,
  registration,
  scanBytes,
  passwordMatches,
  watchRegistrations,
  whereKeys,
  type RegistrationRequest,
  type RegistrationSpec,
} from './support/webshop-registrations.js';
import { pool, waitFor } from '@cnpaas/service-kit/testing';

/** A per-run tag of lower-case letters, so no test password can be mistaken for bytes that were there anyway. */
const TAG = [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
/** Every password this file submits, accepted or refused: none may be found in the state dir afterwards. */
const passwords: string[] = [];
function pw(base: string): string {
  const value = base.replaceAll('TAG', TAG);
  passwords.push(value);
  return value;
}

interface Registered {
  name: string;
  uid: string;
  tenant: string;
  email: string;
  password: string;
}

describe('webshop registration on a live stack', () => {
  let stack: TestStack;
  let http: KubeClient;
  let dataDir: string;
  let scratch: string;
  /** Registrations that completed, in order: [0] from proof 1, [1] from proof 4. */
  const done: Registered[] = [];

  const kubectlJson = <T = any>(args: string[]): Promise<T> => stack.kubectlJson<T>(args);
  /**
   * Waits for `kubectl get <get>` to show condition `type`, at `status` when one is given, and
   * returns the object as it was then.
   */
  const waitForCondition = (what: string, want: { get: string[]; type: string; status?: 'True' | 'False' }) =>
    waitFor(
      what,
      async () => {
        const obj = await kubectlJson(['get', ...want.get]);
        const found = condition(obj, want.type);
        return found && (want.status === undefined || found.status === want.status) ? obj : undefined;
      },
      30_000,
    );
  const claims = async (): Promise<Array<{ name: string; digest: string; ownerUid: string }>> => {
    const list = await kubectlJson<{ items: any[] }>([
      'get',
      'configmaps',
      '-n',
      SYSTEM_NAMESPACE,
      '-l',
      `${CLAIM_LABEL}=true`,
    ]);
    return list.items.map((cm) => ({
      name: cm.metadata.name,
      digest: cm.data?.emailSha256,
      ownerUid: cm.data?.ownerUid,
    }));
  };
  const tenants = async (): Promise<any[]> => (await kubectlJson<{ items: any[] }>(['get', 'tenants.' + GROUP])).items;

  /** Creates a registration with `kubectl create -f FILE` and waits for the operator to finish it (the RR's DELETED event). */
  async function register(
    name: string,
    email: string,
    password: string,
  ): Promise<{ registered: Registered; deleted: any }> {
    const list = JSON.parse(await stack.kubectl(['get', '--raw', RR_PATH]));
    const watch = watchRegistrations(stack, list.metadata.resourceVersion);
    try {
      const file = path.join(scratch, `${name}.yaml`);
      writeFileSync(file, stringify(registration(name, { email, password })));
      const out = await stack.kubectl(['create', '-f', file]);
      expect(out.trim()).toBe(`registrationrequest.${GROUP}/${name} created`);
      const deleted = await waitFor(
        `the DELETED event of RegistrationRequest ${name}`,
        async () => watch.events.find((e) => e.type === 'DELETED' && e.object.metadata.name === name),
        60_000,
        100,
      );
      const uid = deleted.object.metadata.uid as string;
      const registered = {
        name,
        uid,
        tenant: `t-${uid.replace(/-/g, '').slice(0, 12)}`,
        email: normalise(email),
        password,
      };
      done.push(registered);
      return { registered, deleted: deleted.object };
    } finally {
      watch.stop();
    }
  }

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'cnpaas-webshop-'));
    stack = await startStack({ components: 'all' });
    dataDir = path.join(stack.stateDir, 'data');
    http = kubeClientFromPki({ server: stack.result.server, pkiDir: path.join(stack.stateDir, 'pki') });
  });
  afterAll(async () => {
    http?.close();
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports every component healthy in `cnpaas status`, each probed with the CA that signed its serving certificate', async () => {
    const report = await status(stack.stateDir);
    // The email function is served by the delivery CA, not the cluster CA: probed with the wrong one it looks down.
    expect(report.components.map((c) => c.name)).toContain('email-function');
    expect(report.components.filter((c) => !c.healthy).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
  });

  it('turns `kubectl create -f` of a RegistrationRequest into a tenant with everything it needs, each kind in its own backend', async () => {
    const password = pw('Corr3ct-Horse-TAG!');
    const { registered, deleted } = await register('ann', '  Ann.Smith@Example.COM ', password);
    const t = registered.tenant;
    expect(t).toMatch(/^t-[0-9a-f]{12}$/);

    // The operator's answer, as the API server reads it from the DELETED event.
    expect(deleted.status).toMatchObject({ tenant: t, namespace: t, user: t, email: `${t}-welcome` });
    expect(condition(deleted, 'Ready')).toMatchObject({ status: 'True', reason: 'Completed' });
    for (const c of ['TenantCreated', 'NamespaceReady', 'UserCreated', 'EmailCreated'])
      expect(condition(deleted, c)?.status, c).toBe('True');
    expect((await kubectlRun(stack, ['get', `registrationrequests.${GROUP}`, 'ann'])).stderr).toMatch(/NotFound/);

    const tenant = await waitForCondition('the Tenant to be Ready', {
      get: [`tenants.${GROUP}`, t],
      type: 'Ready',
      status: 'True',
    });
    expect(tenant.metadata.labels[REGISTRATION_UID_LABEL]).toBe(registered.uid);
    expect(tenant.spec).toMatchObject({ companyName: 'Ann Smith', country: 'DE', city: 'Berlin' });
    expect(tenant.metadata.finalizers).toContain(`${GROUP}/tenant-namespace`);

    const ns = await kubectlJson(['get', 'namespace', t]);
    expect(controllerOf(ns)).toBe(`Tenant/${t}/${tenant.metadata.uid}`);
    expect(ns.metadata.labels[REGISTRATION_UID_LABEL]).toBe(registered.uid);

    const user = await waitForCondition('the User to be Ready', {
      get: [`users.${GROUP}`, t, '-n', t],
      type: 'Ready',
      status: 'True',
    });
    expect(user.spec).toMatchObject({
      firstName: 'Ann',
      lastName: 'Smith',
      email: 'ann.smith@example.com',
      phoneNumber: '+4930123456',
    });
    expect(user.metadata.labels[REGISTRATION_UID_LABEL]).toBe(registered.uid);
    expect(condition(user, 'PasswordStored')).toMatchObject({ status: 'True', reason: 'Stored' });
    expect(condition(user, 'TenantAccess')).toMatchObject({ status: 'True', reason: 'Granted' });
    expect(user.status.passwordRef).toEqual({ name: `${t}-password` });
    // The hash left the User once the Secret held it.
    expect(user.metadata.annotations?.[`${GROUP}/password`]).toBeUndefined();
    const userRef = `User/${t}/${user.metadata.uid}`;

    // Namespaced children: controlled by the User (the garbage collector removes them with it).
    for (const [kind, name] of [
      ['serviceaccount', t],
      ['role', t],
      ['rolebinding', t],
      ['secret', `${t}-password`],
      [`emails.${GROUP}`, `${t}-welcome`],
    ] as const) {
      const obj = await kubectlJson(['get', kind, name, '-n', t]);
      expect(controllerOf(obj), `${kind} ${name}`).toBe(userRef);
      expect(obj.metadata.labels[REGISTRATION_UID_LABEL], `${kind} ${name}`).toBe(registered.uid);
    }
    const role = await kubectlJson(['get', 'role', t, '-n', t]);
    expect(role.rules).toEqual([
      { apiGroups: [GROUP], resources: ['users'], resourceNames: [t], verbs: ['get', 'update', 'patch'] },
    ]);
    const binding = await kubectlJson(['get', 'rolebinding', t, '-n', t]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: t });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: t, namespace: t }]);

    const secret = await kubectlJson(['get', 'secret', `${t}-password`, '-n', t]);
    expect(secret.type).toBe(`${GROUP}/password-hash`);
    const hash = Buffer.from(secret.data.hash, 'base64').toString('utf8');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await passwordMatches(password, hash)).toBe(true);
    expect(await passwordMatches(`${password}x`, hash)).toBe(false);

    const email = await kubectlJson(['get', `emails.${GROUP}`, `${t}-welcome`, '-n', t]);
    expect(email.spec.toAddress).toBe('ann.smith@example.com');
    expect(email.spec.subject).toContain('Ann');
    expect(JSON.stringify(email)).not.toContain('$argon2id$');
    expect(JSON.stringify(email)).not.toContain('$scrypt$');

    // Cluster-scoped access to its own Tenant: owned by the Tenant (a cluster-scoped owner).
    const rbacName = `webshop-user.${t}.${t}`;
    for (const kind of ['clusterrole', 'clusterrolebinding']) {
      expect(controllerOf(await kubectlJson(['get', kind, rbacName])), kind).toBe(`Tenant/${t}/${tenant.metadata.uid}`);
    }
    expect((await kubectlJson(['get', 'clusterrole', rbacName])).rules).toEqual([
      { apiGroups: [GROUP], resources: ['tenants'], resourceNames: [t], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: [t], verbs: ['get'] },
    ]);
    // cnpaas-api-server's access to this one User (verification and sign-in), controlled by the User.
    const apiRole = await kubectlJson(['get', 'role', `${t}-api-server`, '-n', t]);
    expect(controllerOf(apiRole)).toBe(userRef);
    expect(apiRole.rules).toEqual([
      { apiGroups: [GROUP], resources: ['users'], resourceNames: [t], verbs: ['get'] },
      { apiGroups: [GROUP], resources: ['users/status'], resourceNames: [t], verbs: ['patch'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [`${t}-password`], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [t], verbs: ['create'] },
    ]);
    expect((await kubectlJson(['get', 'rolebinding', `${t}-api-server`, '-n', t])).subjects).toEqual([
      // cnpaas up runs the API server with a client certificate: that user alone (a cluster binds its ServiceAccount).
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-api-server' },
    ]);

    // The email claim: named by the address's digest, held by this registration.
    const held = (await claims()).filter((c) => c.digest === emailDigest('ann.smith@example.com'));
    expect(held).toHaveLength(1);
    expect(held[0]!.ownerUid).toBe(registered.uid);

    // Where each object lives, read from the SQLite files.
    expect(whereKeys(dataDir, `/registrationrequests/ann`)).toEqual({
      'main.db:history': expect.arrayContaining([`/registry/${GROUP}/registrationrequests/ann`]),
    });
    expect(Object.keys(whereKeys(dataDir, `/${GROUP}/tenants/${t}`)).every((k) => k.startsWith('tenants.db:'))).toBe(
      true,
    );
    expect(whereKeys(dataDir, `/${GROUP}/tenants/${t}`)['tenants.db:kv']).toEqual([`/registry/${GROUP}/tenants/${t}`]);
    expect(Object.keys(whereKeys(dataDir, `/${GROUP}/users/${t}/`)).every((k) => k.startsWith('users.db:'))).toBe(true);
    expect(whereKeys(dataDir, `/${GROUP}/users/${t}/`)['users.db:kv']).toEqual([`/registry/${GROUP}/users/${t}/${t}`]);
    expect(Object.keys(whereKeys(dataDir, `/${GROUP}/emails/${t}/`)).every((k) => k.startsWith('emails.db:'))).toBe(
      true,
    );
    expect(whereKeys(dataDir, `/${GROUP}/emails/${t}/`)['emails.db:kv']).toEqual([
      `/registry/${GROUP}/emails/${t}/${t}-welcome`,
    ]);
    // Everything else of the tenant (its Secret, RBAC, Namespace) stays in main.db.
    const secretKeys = whereKeys(dataDir, `/secrets/${t}/${t}-password`);
    expect(Object.keys(secretKeys).every((k) => k.startsWith('main.db:'))).toBe(true);
    expect(secretKeys['main.db:kv']).toEqual([`/registry/secrets/${t}/${t}-password`]);
    expect(Object.keys(whereKeys(dataDir, `/namespaces/${t}`))).toEqual(['main.db:kv']);
    // Each dedicated backend holds its one kind and nothing else; main.db holds none of them.
    for (const kind of ['tenants', 'users', 'emails']) {
      const keys = liveKeys(dataDir, `${kind}.db`, '/');
      expect(keys.length, kind).toBeGreaterThan(0);
      expect(
        keys.filter((k) => !k.startsWith(`/registry/${GROUP}/${kind}/`)),
        kind,
      ).toEqual([]);
      expect(whereKeys(dataDir, `/registry/${GROUP}/${kind}/`), kind).not.toHaveProperty('main.db:kv');
      expect(whereKeys(dataDir, `/registry/${GROUP}/${kind}/`), kind).not.toHaveProperty('main.db:history');
    }
    expect(liveKeys(dataDir, 'main.db', `/registry/${GROUP}/registrationrequests/`)).toEqual([]);
  });

  it('checks every EmailTemplate as it is written: the shipped one is Valid, a typo elsewhere is named, a fix clears it', async () => {
    const shipped = await waitForCondition('the shipped template to be checked', {
      get: [`emailtemplates.${GROUP}`, 'registration', '-n', SYSTEM_NAMESPACE],
      type: 'Valid',
    });
    expect(condition(shipped, 'Valid')).toMatchObject({ status: 'True', reason: 'Renders' });
    expect(shipped.status.observedGeneration).toBe(shipped.metadata.generation);

    const ns = `templates-${TAG}`;
    await stack.kubectl(['create', 'namespace', ns]);
    const template = (body: string) =>
      stringify({
        apiVersion: `${GROUP}/v1`,
        kind: 'EmailTemplate',
        metadata: { name: 'newsletter', namespace: ns },
        spec: {
          displayName: 'Newsletter',
          fromName: 'Shop',
          fromAddress: 'news@example.com',
          subject: 'News for {{ .spec.firstName }}',
          body,
        },
      });
    await stack.kubectl(['apply', '-f', '-'], {
      input: template('Hello {{ .spec.firstName }},\nyour city: {{ .tenant.town }}'),
    });
    const newsletter = [`emailtemplates.${GROUP}`, 'newsletter', '-n', ns];
    const broken = await waitForCondition('Valid=False on the broken template', {
      get: newsletter,
      type: 'Valid',
      status: 'False',
    });
    expect(condition(broken, 'Valid')).toMatchObject({
      reason: 'RenderFailed',
      message: expect.stringContaining('spec.body: line 2, column 12: {{ .tenant.town }} unknown placeholder'),
    });
    // The Valid column people read in `kubectl get` (the CRD's printer column).
    const [header, row] = (await stack.kubectl(['get', ...newsletter]))
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(row![header!.indexOf('VALID')]).toBe('False');

    await stack.kubectl(['apply', '-f', '-'], {
      input: template('Hello {{ .spec.firstName }},\nyour city: {{ .tenant.city }}'),
    });
    const fixed = await waitForCondition('Valid=True once fixed', { get: newsletter, type: 'Valid', status: 'True' });
    expect(fixed.metadata.generation).toBe(2);
    expect(fixed.status.observedGeneration).toBe(2);
    await stack.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  describe('refuses bad registrations with a message naming the problem, and persists nothing', () => {
    const weakHash = (() => {
      const salt = randomBytes(16);
      const key = scryptSync('Weak-Hash-1!', salt, 32, { N: 2 ** 10, r: 8, p: 1 });
      return `$scrypt$ln=10,r=8,p=1$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
    })();
    const weakArgon2idHash = (() => {
      const salt = randomBytes(16);
      const params = { message: 'Weak-Hash-1!', nonce: salt, memory: 4096, passes: 1, parallelism: 1, tagLength: 32 };
      const key = argon2Sync('argon2id', params);
      return `$argon2id$v=19$m=4096,t=1,p=1$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
    })();
    type Case = [label: string, edit: (spec: RegistrationSpec) => void, expected: RegExp[]];
    const cases: Case[] = [
      [
        'password without a digit',
        (s) => (s.password = pw('No-Digits-Here-TAG!')),
        [/spec\.password: must contain a digit/],
      ],
      [
        'password without an upper-case letter',
        (s) => (s.password = pw('lower-only-7-TAG!')),
        [/spec\.password: must contain an upper-case letter/],
      ],
      [
        'password without a lower-case letter',
        (s) => (s.password = pw(`UPPER-ONLY-7-${TAG.toUpperCase()}!`)),
        [/spec\.password: must contain a lower-case letter/],
      ],
      [
        'password without a special character',
        (s) => (s.password = pw('NoSpecial7TAG')),
        [/spec\.password: must contain a special character/],
      ],
      [
        'password too short',
        (s) => (s.password = pw('Qk7!ab')),
        [/spec\.password: must be at least 8 characters long \(it has 6\)/],
      ],
      [
        'password too long (65 characters)',
        (s) => (s.password = pw(`Quokka-7!TAG${'z'.repeat(65 - 'Quokka-7!'.length - TAG.length)}`)),
        [/spec\.password: must be at most 64 characters long \(it has 65\)/],
      ],
      [
        'password with a control character',
        (s) => (s.password = pw('Quokka\t7!TAG')),
        [/spec\.password: must not contain control characters/],
      ],
      [
        'password of several weaknesses at once',
        (s) => (s.password = pw('quokkaTAG')),
        [/must contain an upper-case letter/, /must contain a digit/, /must contain a special character/],
      ],
      ['password as a number', (s) => (s.password = 12345678), [/spec\.password: must be a string/]],
      ['missing password', (s) => delete (s as Partial<RegistrationSpec>).password, [/spec\.password: is required/]],
      [
        'malformed $scrypt$ "hash" sent as the password',
        (s) => (s.password = pw('$scrypt$not-a-hash-TAG')),
        [
          /spec\.password: starts with \$scrypt\$, which is reserved for password hashes, but is not a well-formed hash/,
        ],
      ],
      [
        'pre-computed scrypt hash weaker than the policy',
        (s) => (s.password = weakHash),
        [/spec\.password: is a scrypt hash weaker than the required ln=15,r=8,p=3/],
      ],
      [
        'pre-computed argon2id hash below the floor',
        (s) => (s.password = weakArgon2idHash),
        [/spec\.password: is an argon2id hash weaker than the required m=19456,t=2,p=1/],
      ],
      [
        '$argon2id$ prefix sent as the password',
        (s) => (s.password = pw('$argon2id$v=19$m=65536,t=3,p=4$TAG$abc')),
        [
          /spec\.password: starts with \$argon2id\$, which is reserved for password hashes, but is not a well-formed hash/,
        ],
      ],
      [
        'email without an @',
        (s) => (s.user['email'] = 'not-an-email'),
        [/spec\.user\.email: must be an email address like name@example\.com/],
      ],
      [
        'email with two dots in a row',
        (s) => (s.user['email'] = 'ann..smith@example.com'),
        [/spec\.user\.email: must not start or end the part before the @ with a dot, nor have two dots in a row/],
      ],
      [
        'email domain label starting with a hyphen',
        (s) => (s.user['email'] = 'ann@-example.com'),
        [/spec\.user\.email: must have a domain of dot-separated labels/],
      ],
      [
        'email with 65 characters before the @',
        (s) => (s.user['email'] = `${'a'.repeat(65)}@example.com`),
        [/spec\.user\.email: must have at most 64 characters before the @ \(it has 65\)/],
      ],
      [
        'email longer than 256 characters',
        (s) => (s.user['email'] = `${'a'.repeat(60)}@${`${'b'.repeat(60)}.`.repeat(4)}com`),
        [/spec\.user\.email: must be at most 256 characters long \(it has 308\)/],
      ],
      ['missing email', (s) => delete s.user['email'], [/spec\.user\.email: is required/]],
      [
        'first name starting with a digit',
        (s) => (s.user['firstName'] = '1Ann'),
        [
          /spec\.user\.firstName: must start with a letter and contain only letters, accents, spaces, apostrophes and hyphens/,
        ],
      ],
      [
        'last name with markup',
        (s) => (s.user['lastName'] = 'Smith<script>'),
        [/spec\.user\.lastName: must start with a letter and contain only letters/],
      ],
      [
        'first name of 126 characters',
        (s) => (s.user['firstName'] = `A${'n'.repeat(125)}`),
        [/spec\.user\.firstName: must be at most 125 characters long \(it has 126\)/],
      ],
      ['missing last name', (s) => delete s.user['lastName'], [/spec\.user\.lastName: is required/]],
      [
        'phone number with spaces',
        (s) => (s.user['phoneNumber'] = '+49 30 123456'),
        [/spec\.user\.phoneNumber: must be a phone number in E\.164 form/],
      ],
      [
        'phone number starting with 0',
        (s) => (s.user['phoneNumber'] = '030123456'),
        [/spec\.user\.phoneNumber: must be a phone number in E\.164 form/],
      ],
      [
        'phone number of 5 digits',
        (s) => (s.user['phoneNumber'] = '+12345'),
        [/spec\.user\.phoneNumber: must be a phone number in E\.164 form: an optional \+, then 7 to 15 digits/],
      ],
      ['missing tenant', (s) => delete (s as Partial<RegistrationSpec>).tenant, [/spec\.tenant: is required/]],
      ['missing city', (s) => delete s.tenant['city'], [/spec\.tenant\.city: is required/]],
      [
        'country code with a digit',
        (s) => (s.tenant['country'] = 'D3'),
        [/spec\.tenant\.country: must be a country code of letters only/],
      ],
      [
        'country code of 4 letters',
        (s) => (s.tenant['country'] = 'DEUT'),
        [/spec\.tenant\.country: must be at most 3 characters long \(it has 4\)/],
      ],
      [
        'address of 513 characters',
        (s) => (s.tenant['address'] = 'x'.repeat(513)),
        [/spec\.tenant\.address: must be at most 512 characters long \(it has 513\)/],
      ],
      [
        'company name of 251 characters',
        (s) => (s.tenant['companyName'] = 'C'.repeat(251)),
        [/spec\.tenant\.companyName: must be at most 250 characters long \(it has 251\)/],
      ],
      ['city of only spaces', (s) => (s.tenant['city'] = '   '), [/spec\.tenant\.city: must not be only spaces/]],
      [
        'postal code with a line break',
        (s) => (s.tenant['postalCode'] = '101\n15'),
        [/spec\.tenant\.postalCode: must not contain control characters/],
      ],
    ];
    const refused: Array<{ name: string; email: string }> = [];

    it.each(cases.map((c, i) => [i + 1, ...c] as const))('#%i %s', async (i, _label, edit, expected) => {
      const name = `bad-${String(i).padStart(2, '0')}`;
      const email = `bad-${i}-${TAG}@example.com`;
      const rr = registration(name, { email, password: pw(`Fine-Passw0rd-${i}-TAG`), edit });
      const submitted = (rr.spec as unknown as Partial<RegistrationSpec>).user?.['email'];
      refused.push({ name, email: typeof submitted === 'string' ? submitted : email });
      const before = await claims();
      const run = await kubectlRun(stack, ['create', '-f', '-'], JSON.stringify(rr));
      expect(run.code, run.stdout).not.toBe(0);
      expect(run.stderr).toContain(`The RegistrationRequest "${name}" is invalid`);
      for (const re of expected) expect(run.stderr).toMatch(re);
      // Denials describe the rule and never echo a password.
      const password = (rr.spec as unknown as RegistrationSpec).password;
      if (typeof password === 'string') expect(run.stderr).not.toContain(password);
      // Nothing persisted: the RR never reached the store, and no claim was taken.
      expect(whereKeys(dataDir, `/registrationrequests/${name}`)).toEqual({});
      expect(await claims()).toEqual(before);
    });

    it('refuses an invalid object name before any claim is taken', async () => {
      const email = `bad-name-${TAG}@example.com`;
      const run = await kubectlRun(
        stack,
        ['create', '-f', '-'],
        JSON.stringify(registration('Bad_Name', { email, password: pw('Fine-Passw0rd-TAG') })),
      );
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
      expect((await claims()).some((c) => c.digest === emailDigest(email))).toBe(false);
      expect(whereKeys(dataDir, '/registrationrequests/Bad_Name')).toEqual({});
    });

    it('refuses a second registration of a registered address, in any case and spacing, with 409 Conflict', async () => {
      const first = done[0]!;
      const before = await claims();
      // kubectl: the message names the field and the (normalised) address.
      const run = await kubectlRun(
        stack,
        ['create', '-f', '-'],
        JSON.stringify(
          registration('dup-kubectl', { email: ' ANN.smith@EXAMPLE.com', password: pw('Dupl1cate-TAG!') }),
        ),
      );
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/Error from server \(Conflict\)/);
      expect(run.stderr).toMatch(/spec\.user\.email: the email address ann\.smith@example\.com is already registered/);
      // The HTTP API: 409, reason Conflict, the cause FieldValueDuplicate on spec.user.email.
      const res = await http.request('POST', RR_PATH, {
        body: registration('dup-http', { email: 'Ann.Smith@example.com\t', password: pw('Dupl1cate-Http-TAG!') }),
        timeoutMs: 30_000,
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
      expect(res.body.message).toMatch(/already registered/);
      // Nothing persisted; the claim still belongs to the first registration.
      for (const name of ['dup-kubectl', 'dup-http'])
        expect(whereKeys(dataDir, `/registrationrequests/${name}`)).toEqual({});
      expect(await claims()).toEqual(before);
      expect(before.find((c) => c.digest === emailDigest(first.email))?.ownerUid).toBe(first.uid);
    });

    it('takes no claim on a server-side dry run of a valid registration', async () => {
      const email = `dry-run-${TAG}@example.com`;
      const out = await stack.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(registration('dry-run', { email, password: pw('Dry-Run-7-TAG!') })),
      });
      const object = JSON.parse(out);
      // Policy checked by the mutating webhook, but no hash spent on a dry run: a placeholder that only passes the CRD's prefix rule…
      expect(object.spec.password).toMatch(/^\$scrypt\$dry-run-not-a-hash\$[0-9a-f]{32}$/);
      expect((await claims()).some((c) => c.digest === emailDigest(email))).toBe(false); // …but no claim written
      expect(whereKeys(dataDir, '/registrationrequests/dry-run')).toEqual({});
    });

    it('accepts the longest E.164 number (+ and 15 digits) in both the webhook and the CRD schema', async () => {
      const email = `phone15-${TAG}@example.com`;
      const out = await stack.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(
          registration('phone15', {
            email,
            password: pw('Ph0ne-Fifteen-TAG!'),
            edit: (s) => (s.user['phoneNumber'] = '+123456789012345'),
          }),
        ),
      });
      expect(JSON.parse(out).spec.user.phoneNumber).toBe('+123456789012345');
    });

    it('refuses a plain password by the CRD rule when the mutating webhook is missing (defence in depth)', async () => {
      const saved = await kubectlJson(['get', 'mutatingwebhookconfiguration', 'cnpaas-webhooks']);
      const restore = {
        apiVersion: saved.apiVersion,
        kind: saved.kind,
        metadata: { name: saved.metadata.name, labels: saved.metadata.labels },
        webhooks: saved.webhooks,
      };
      const email = `no-mutation-${TAG}@example.com`;
      const password = pw('Pl41n-Text-TAG!');
      await stack.kubectl(['delete', 'mutatingwebhookconfiguration', 'cnpaas-webhooks']);
      try {
        // The apiserver drops the webhook from its admission chain shortly after the delete: probe with dry runs (never stored).
        await waitFor(
          'the mutating webhook gone from the admission chain',
          async () => {
            const r = await kubectlRun(
              stack,
              ['create', '--dry-run=server', '-f', '-'],
              JSON.stringify(registration('no-mutation', { email, password })),
            );
            return r.code !== 0 && /must be a password hash/.test(r.stderr);
          },
          30_000,
          500,
        );
        const run = await kubectlRun(
          stack,
          ['create', '-f', '-'],
          JSON.stringify(registration('no-mutation', { email, password })),
        );
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(
          /spec\.password: Invalid value: "string": must be a password hash \(\$argon2id\$\.\.\. or \$scrypt\$\.\.\.\), never a plain password: the mutating webhook mutate-registrationrequests\.webshop\.cnpaas\.dev did not run/,
        );
        expect(run.stderr).not.toContain(password);
        expect(whereKeys(dataDir, '/registrationrequests/no-mutation')).toEqual({});
        expect((await claims()).some((c) => c.digest === emailDigest(email))).toBe(false);
      } finally {
        await stack.kubectl(['create', '-f', '-'], { input: JSON.stringify(restore) });
      }
      // Back in the chain: a server-side dry run gets its password hashed again.
      await waitFor(
        'the mutating webhook back in the admission chain',
        async () => {
          const r = await kubectlRun(
            stack,
            ['create', '--dry-run=server', '-o', 'json', '-f', '-'],
            JSON.stringify(
              registration('probe', { email: `probe-${TAG}@example.com`, password: pw('Pr0be-Back-TAG!') }),
            ),
          );
          return r.code === 0 && JSON.parse(r.stdout).spec.password.startsWith('$scrypt$');
        },
        30_000,
        500,
      );
    });

    it('left no RegistrationRequest, Tenant or claim behind for any refused registration', async () => {
      expect(refused.length).toBeGreaterThanOrEqual(20);
      const rrs = await kubectlJson<{ items: any[] }>(['get', `registrationrequests.${GROUP}`]);
      expect(rrs.items).toEqual([]);
      const ts = await tenants();
      expect(ts.map((t) => t.metadata.name)).toEqual([done[0]!.tenant]);
      const digests = new Set((await claims()).map((c) => c.digest));
      expect(digests).toEqual(new Set([emailDigest(done[0]!.email)]));
      for (const { email } of refused) {
        expect(digests.has(emailDigest(email)), email).toBe(false);
      }
    });
  });

  it("confines a tenant's ServiceAccount to its own User and Tenant (RBAC), with a second tenant as the other side", async () => {
    const { registered: bob } = await register('bob', 'bob.jones@example.org', pw('B0b-Jones-TAG!'));
    const ann = done[0]!;
    await waitFor(
      'both Users Ready',
      async () => {
        for (const r of [ann, bob]) {
          const u = await kubectlJson(['get', `users.${GROUP}`, r.tenant, '-n', r.tenant]);
          if (condition(u, 'Ready')?.status !== 'True') return false;
        }
        return true;
      },
      30_000,
    );

    const a = ann.tenant;
    const b = bob.tenant;
    type Check = [who: string, args: string[], expected: 'yes' | 'no'];
    const users = `users.${GROUP}`;
    const tenantsRes = `tenants.${GROUP}`;
    const matrix: Check[] = [
      [a, ['get', `${users}/${a}`, '-n', a], 'yes'],
      [a, ['update', `${users}/${a}`, '-n', a], 'yes'],
      [a, ['patch', `${users}/${a}`, '-n', a], 'yes'],
      [a, ['get', `${tenantsRes}/${a}`], 'yes'],
      // Its own Namespace (the console's tenant view reads it), and no other.
      [a, ['get', `namespaces/${a}`], 'yes'],
      [a, ['get', `namespaces/${b}`], 'no'],
      [b, ['get', `${users}/${b}`, '-n', b], 'yes'],
      [b, ['get', `${tenantsRes}/${b}`], 'yes'],
      // Its own objects, beyond what the Role grants.
      [a, ['delete', `${users}/${a}`, '-n', a], 'no'],
      [a, ['update', `${users}/${a}`, '--subresource=status', '-n', a], 'no'],
      [a, ['list', users, '-n', a], 'no'],
      [a, ['watch', users, '-n', a], 'no'],
      [a, ['create', users, '-n', a], 'no'],
      [a, ['update', `${tenantsRes}/${a}`], 'no'],
      [a, ['patch', `${tenantsRes}/${a}`], 'no'],
      [a, ['delete', `${tenantsRes}/${a}`], 'no'],
      [a, ['get', `secrets/${a}-password`, '-n', a], 'no'],
      [a, ['list', 'secrets', '-n', a], 'no'],
      [a, ['get', `emails.${GROUP}/${a}-welcome`, '-n', a], 'no'],
      [a, ['create', 'rolebindings', '-n', a], 'no'],
      [a, ['update', `roles/${a}`, '-n', a], 'no'],
      // The other tenant and cluster-wide.
      [a, ['get', `${users}/${b}`, '-n', b], 'no'],
      [a, ['patch', `${users}/${b}`, '-n', b], 'no'],
      [a, ['get', `${tenantsRes}/${b}`], 'no'],
      [b, ['get', `${users}/${a}`, '-n', a], 'no'],
      [b, ['get', `${tenantsRes}/${a}`], 'no'],
      [a, ['list', users, '--all-namespaces'], 'no'],
      [a, ['list', tenantsRes], 'no'],
      [a, ['create', tenantsRes], 'no'],
      [a, ['create', `registrationrequests.${GROUP}`], 'no'],
      [a, ['get', 'pods', '-n', 'default'], 'no'],
      [a, ['list', 'configmaps', '-n', 'kube-system'], 'no'],
      [a, ['list', 'configmaps', '-n', SYSTEM_NAMESPACE], 'no'],
      [a, ['list', 'namespaces'], 'no'],
      [a, ['impersonate', 'serviceaccounts'], 'no'],
      [a, ['*', '*'], 'no'],
    ];
    const answers = await pool(matrix, 4, async ([who, args]) => {
      const run = await kubectlRun(stack, ['auth', 'can-i', ...args, '--as', `system:serviceaccount:${who}:${who}`]);
      return run.stdout.trim() || run.stderr.trim();
    });
    const table = matrix.map(([who, args], i) => `${who === a ? 'A' : 'B'} ${args.join(' ')} → ${answers[i]}`);
    expect(table).toEqual(
      matrix.map(([who, args, expected]) => `${who === a ? 'A' : 'B'} ${args.join(' ')} → ${expected}`),
    );

    // The same with a real token of A's ServiceAccount (no client certificate).
    const token = (await stack.kubectl(['create', 'token', a, '-n', a])).trim();
    const ca = path.join(stack.stateDir, 'pki', 'ca.crt');
    const asA = KubeClient.fromFiles({ server: stack.result.server, caFile: ca, token }, { requestTimeoutMs: 15_000 });
    const as = (method: string, p: string, body?: unknown) => asA.request(method, p, { body });
    const api = `/apis/${GROUP}/v1`;
    expect((await as('GET', `${api}/namespaces/${a}/users/${a}`)).status).toBe(200);
    expect((await as('GET', `${api}/tenants/${a}`)).status).toBe(200);
    const patched = await as('PATCH', `${api}/namespaces/${a}/users/${a}`, { spec: { phoneNumber: '+4930999999' } });
    expect(patched.status).toBe(200);
    expect(patched.body.spec.phoneNumber).toBe('+4930999999');
    const forbidden = await as('GET', `${api}/namespaces/${b}/users/${b}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toContain(`system:serviceaccount:${a}:${a}`);
    expect((await as('GET', `${api}/tenants/${b}`)).status).toBe(403);
    expect((await as('GET', `${api}/namespaces/${a}/users`)).status).toBe(403);
    expect((await as('GET', `/api/v1/namespaces/${a}/secrets/${a}-password`)).status).toBe(403);
    expect((await as('DELETE', `${api}/namespaces/${a}/users/${a}`)).status).toBe(403);
    // The RBAC allows update, but the webhook still guards what uniqueness rests on.
    const steal = await as('PATCH', `${api}/namespaces/${a}/users/${a}`, { spec: { email: 'bob.jones@example.org' } });
    expect(steal.status).toBe(422);
    expect(steal.body.message).toMatch(/spec\.email: cannot be changed/);
    // A password change through the annotation must be an acceptable hash on UPDATE too: the annotation key has
    // dots, and an UPDATE check that split field paths on dots never looked at it.
    const annotation = `${GROUP}/password`;
    const secretBefore = await kubectlJson(['get', 'secret', `${a}-password`, '-n', a]);
    const cheapArgon2id = `$argon2id$v=19$m=1024,t=1,p=1$${Buffer.alloc(16, 7).toString('base64').replace(/=+$/, '')}$${Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '')}`;
    const cheap = `$scrypt$ln=1,r=8,p=1$${Buffer.alloc(16, 7).toString('base64').replace(/=+$/, '')}$${Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '')}`;
    for (const [value, reason] of [
      [pw('Plain-Text-7-TAG!'), /must be a password hash \(\$argon2id\$… or \$scrypt\$…\), never a plain password/],
      [
        '$scrypt$garbage-TAG',
        /starts with \$scrypt\$, which is reserved for password hashes, but is not a well-formed hash/,
      ],
      [cheap, /is a scrypt hash weaker than the required ln=15,r=8,p=3/],
      [cheapArgon2id, /is an argon2id hash weaker than the required m=19456,t=2,p=1/],
      [
        '$argon2id$garbage-TAG',
        /starts with \$argon2id\$, which is reserved for password hashes, but is not a well-formed hash/,
      ],
    ] as const) {
      const change = await as('PATCH', `${api}/namespaces/${a}/users/${a}`, {
        metadata: { annotations: { [annotation]: value } },
      });
      expect(change.status, value).toBe(422);
      expect(change.body.message).toContain(`metadata.annotations.${annotation}: `);
      expect(change.body.message).toMatch(reason);
    }
    const userAfter = await kubectlJson(['get', users, a, '-n', a]);
    expect(userAfter.metadata.annotations?.[annotation]).toBeUndefined();
    expect((await kubectlJson(['get', 'secret', `${a}-password`, '-n', a])).data).toEqual(secretBefore.data);

    // What verifying and signing in need, and no more: cnpaas-api-server reaches each User's objects by name only
    // (the Role <user>-api-server the operator makes), and the verification key is the one Secret it and the
    // email function read in cnpaas-system.
    const key = 'secrets/cnpaas-verification-key';
    const services: Array<[who: string, args: string[], expected: 'yes' | 'no']> = [
      ['cnpaas-api-server', ['get', `${users}/${a}`, '-n', a], 'yes'],
      ['cnpaas-api-server', ['patch', `${users}/${a}`, '--subresource=status', '-n', a], 'yes'],
      ['cnpaas-api-server', ['get', `secrets/${a}-password`, '-n', a], 'yes'],
      ['cnpaas-api-server', ['create', `serviceaccounts/${a}`, '--subresource=token', '-n', a], 'yes'],
      ['cnpaas-api-server', ['list', users, '--all-namespaces'], 'yes'],
      ['cnpaas-api-server', ['get', key, '-n', SYSTEM_NAMESPACE], 'yes'],
      ['cnpaas-api-server', ['patch', `${users}/${a}`, '-n', a], 'no'],
      ['cnpaas-api-server', ['patch', `${users}/someone-else`, '--subresource=status', '-n', a], 'no'],
      ['cnpaas-api-server', ['get', `secrets/${b}`, '-n', a], 'no'],
      ['cnpaas-api-server', ['list', 'secrets', '-n', a], 'no'],
      ['cnpaas-api-server', ['create', 'serviceaccounts/default', '--subresource=token', '-n', a], 'no'],
      ['cnpaas-api-server', ['get', 'secrets/cnpaas-smtp-password', '-n', SYSTEM_NAMESPACE], 'no'],
      ['cnpaas-api-server', ['list', 'secrets', '-n', SYSTEM_NAMESPACE], 'no'],
      ['cnpaas-email-function', ['get', key, '-n', SYSTEM_NAMESPACE], 'yes'],
      ['cnpaas-email-function', ['get', `secrets/${a}-password`, '-n', a], 'no'],
      ['cnpaas-email-function', ['list', 'secrets', '-n', SYSTEM_NAMESPACE], 'no'],
    ];
    const serviceAnswers = await pool(services, 4, async ([who, args]) => {
      const run = await kubectlRun(stack, ['auth', 'can-i', ...args, '--as', who]);
      return run.stdout.trim() || run.stderr.trim();
    });
    expect(services.map(([who, args], i) => `${who} ${args.join(' ')} → ${serviceAnswers[i]}`)).toEqual(
      services.map(([who, args, expected]) => `${who} ${args.join(' ')} → ${expected}`),
    );
  });

  it('lets exactly one of twenty simultaneous registrations of one address through; nineteen get 409', async () => {
    const base = `race-${TAG}@example.com`;
    // 4 spellings × 5 paddings: twenty different strings, one normalised address.
    const spellings = [base, base.toUpperCase(), base.replace(/^r/, 'R'), base.replace('example.com', 'EXAMPLE.Com')];
    const paddings: Array<(e: string) => string> = [
      (e) => e,
      (e) => ` ${e}`,
      (e) => `${e}  `,
      (e) => `\t${e} `,
      (e) => ` ${e}\n`,
    ];
    const variants = Array.from({ length: 20 }, (_, i) => paddings[Math.floor(i / 4)]!(spellings[i % 4]!));
    expect(new Set(variants).size).toBe(20);
    expect(new Set(variants.map(normalise))).toEqual(new Set([base]));
    const tenantsBefore = (await tenants()).length;
    const list = JSON.parse(await stack.kubectl(['get', '--raw', RR_PATH]));
    const watch = watchRegistrations(stack, list.metadata.resourceVersion);
    let winner: RegistrationRequest & { metadata: { uid: string } };
    try {
      const results = await Promise.all(
        variants.map((email, i) =>
          http.request('POST', RR_PATH, {
            body: registration(`race-${String(i).padStart(2, '0')}`, { email, password: pw(`Race-${i}-TAG!`) }),
            timeoutMs: 60_000,
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      for (const r of results.filter((x) => x.status === 409)) {
        expect(r.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
        expect(r.body.message).toMatch(
          new RegExp(
            `spec\\.user\\.email: the email address ${base.replace(/\./g, '\\.')} is already (being )?registered`,
          ),
        );
      }
      winner = results.find((r) => r.status === 201)!.body;
      expect(winner.spec['user']).toMatchObject({ email: base });
      await waitFor(
        'the winning registration to complete',
        async () => watch.events.some((e) => e.type === 'DELETED' && e.object.metadata.uid === winner.metadata.uid),
        60_000,
        100,
      );
    } finally {
      watch.stop();
    }
    // Only the winner was ever stored.
    const stored = watch.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    expect(stored).toEqual([winner.metadata.name]);
    const allUsers = (await kubectlJson<{ items: any[] }>(['get', `users.${GROUP}`, '--all-namespaces'])).items;
    const holders = allUsers.filter((u) => u.spec.email === base);
    expect(holders).toHaveLength(1);
    expect(holders[0].metadata.labels[REGISTRATION_UID_LABEL]).toBe(winner.metadata.uid);
    const ts = await tenants();
    expect(ts).toHaveLength(tenantsBefore + 1);
    expect(ts.filter((t) => t.metadata.labels[REGISTRATION_UID_LABEL] === winner.metadata.uid)).toHaveLength(1);
    expect((await claims()).filter((c) => c.digest === emailDigest(base)).map((c) => c.ownerUid)).toEqual([
      winner.metadata.uid,
    ]);
  });

  it("removes a deleted Tenant's namespace and everything in it, and its cluster RBAC", async () => {
    const { registered } = await register('doomed', 'doomed.tenant@example.net', pw('D00med-Tenant-TAG!'));
    const t = registered.tenant;
    const clusterRbac = async () =>
      (
        await kubectlJson<{ items: any[] }>([
          'get',
          'clusterroles,clusterrolebindings',
          '-l',
          `${REGISTRATION_UID_LABEL}=${registered.uid}`,
        ])
      ).items;
    // The User controller grants the Tenant read after the registration is done: wait for it.
    await waitFor("the tenant's cluster RBAC", async () => (await clusterRbac()).length === 2, 60_000);
    expect(keysContaining(dataDir, 'users.db', 'kv', `/${t}/`)).not.toEqual([]);

    await stack.kubectl(['delete', `tenants.${GROUP}`, t, '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
    await expect(stack.kubectl(['get', 'namespace', t])).rejects.toThrow(/NotFound/);
    await waitFor("the tenant's cluster RBAC to be collected", async () => (await clusterRbac()).length === 0, 60_000);
    // Nothing of the tenant is left in any backend: users, emails, secrets, service accounts, roles.
    // (Events about the cluster-scoped Tenant live in `default` and expire by their TTL lease.)
    for (const file of ['main.db', 'tenants.db', 'users.db', 'emails.db']) {
      expect(
        keysContaining(dataDir, file, 'kv', `/${t}`).filter((k) => !k.startsWith('/registry/events/default/')),
        file,
      ).toEqual([]);
    }
    // The other tenants are untouched.
    expect((await tenants()).map((x) => x.metadata.name)).toContain(done[0]!.tenant);
  });

  it('leaves no test password in any file of the state dir (SQLite files, WAL, logs, PKI)', async () => {
    // Let the store and the logs settle, then read every byte.
    expect(passwords.length).toBeGreaterThanOrEqual(40);
    const scan = scanBytes(stack.stateDir, passwords);
    expect(scan.files).toBeGreaterThan(20);
    expect(scan.bytes).toBeGreaterThan(1_000_000);
    // The scan does find what is there: the registered addresses are in users.db's files.
    const control = scanBytes(
      stack.stateDir,
      done.map((r) => r.email),
    );
    for (const r of done)
      expect(
        control.hits.get(r.email)?.some((f) => f.startsWith(path.join('data', 'users.db'))),
        r.email,
      ).toBe(true);
    expect(Object.fromEntries(scan.hits)).toEqual({});
  });
});
