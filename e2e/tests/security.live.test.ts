/**
 * Who may register: only callers kube-apiserver authenticated and authorized.
 *
 * (a) The aggregated API server trusts X-Remote-* headers only from the
 *     front-proxy CA's `front-proxy-client`. Straight to its port: no client
 *     certificate, a cluster-CA certificate that calls itself
 *     front-proxy-client, and a front-proxy-CA certificate with another CN
 *     all get 401 and create nothing; the same request with the real
 *     front-proxy certificate is authorized by SubjectAccessReview (403 for
 *     mallory, 201 for a system:masters caller), so the 401s come from the
 *     certificate and nothing else.
 * (b) Through kube-apiserver, a user without RBAC permission gets 403 with a
 *     Status naming the missing permission; bound to ClusterRole
 *     cnpaas-registrant, the same POST answers 201 (RBAC and the API
 *     server's 10 s SAR cache may lag: polled, bounded).
 *
 * Who the watch trigger calls, and as whom:
 *
 * (c) HTTPTriggers aimed at the kube-apiserver (the trigger's own leader
 *     Lease) and at a loopback port not on the trigger's --allow-target get
 *     Ready=False, TargetNotAllowed, and a loopback HTTPS server that counts
 *     connections sees none.
 * (d) The certificate the demo HTTPTrigger delivers with (Secret
 *     email-trigger-delivery) comes from the delivery CA: kube-apiserver
 *     answers 401 to it, so whatever a target learns from it is useless on
 *     the cluster. (That the trigger presents no certificate by default, and
 *     delivers through the allow-list, is shown by the functions package's
 *     tests and by the demo's welcome mail.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertificateAuthority, type KeyPairFiles } from '@cnpaas/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack, type DemoStack } from '../support/demo-stack.js';
import { say, step } from '../support/narrate.js';
import { tlsRequest, type TlsResponse } from '../support/tls.js';
import { waitFor } from '@cnpaas/service-kit/testing';
import { expectRegistered, REGISTRATIONS, registrationBody, type RegistrationAnswer } from '../support/webshop.js';

const RUN = Date.now().toString(36);
const GROUP = 'webshop.cnpaas.dev';
const SPOOF_HEADERS = { 'x-remote-user': 'cnpaas-admin', 'x-remote-group': ['system:masters', 'system:authenticated'] };

// One stack for the whole file.
let stack: DemoStack;
beforeAll(async () => {
  stack = await openStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('registrations: authentication and authorization', () => {
  let pki: string;
  let caPem: Buffer;
  let direct: string;
  let through: string;
  const ids: Record<'spoofClusterCa' | 'wrongCn' | 'mallory', KeyPairFiles> = {} as never;
  const spoofEmails: string[] = [];
  const created: RegistrationAnswer[] = [];

  beforeAll(async () => {
    pki = path.join(stack.stateDir, 'pki');
    caPem = readFileSync(path.join(pki, 'ca.crt'));
    direct = `https://127.0.0.1:${stack.result.ports['apiServer']}${REGISTRATIONS}`;
    through = `${stack.result.server}${REGISTRATIONS}`;
    // The stack's own CAs, loaded (never created: a missing file would make a new, unrelated CA).
    for (const name of ['ca', 'front-proxy-ca']) {
      expect(existsSync(path.join(pki, `${name}.key`)), `${name}.key in ${pki}`).toBe(true);
    }
    const clusterCa = await CertificateAuthority.loadOrCreate(pki, 'ca', 'cnpaas-ca');
    const frontProxyCa = await CertificateAuthority.loadOrCreate(pki, 'front-proxy-ca', 'cnpaas-front-proxy-ca');
    const out = path.join(stack.stateDir, 'test-pki');
    mkdirSync(out, { recursive: true, mode: 0o700 });
    ids.spoofClusterCa = await clusterCa.issue(out, {
      name: 'spoof-front-proxy-client',
      commonName: 'front-proxy-client',
      usage: 'client',
    });
    ids.wrongCn = await frontProxyCa.issue(out, {
      name: 'front-proxy-wrong-cn',
      commonName: 'mallory-proxy',
      usage: 'client',
    });
    ids.mallory = await clusterCa.issue(out, { name: 'mallory', commonName: 'mallory', usage: 'client' });
  });

  const expectStatus = (res: TlsResponse, code: number, reason: string, message: RegExp): void => {
    expect(res.status, JSON.stringify(res.body)).toBe(code);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
    expect(res.body.message).toMatch(message);
  };

  it('answers 401 to requests straight to its port that kube-apiserver did not proxy', async () => {
    step('Straight to the aggregated API server, bypassing kube-apiserver');
    const attempt = async (
      label: string,
      identity: KeyPairFiles | undefined,
      headers: Record<string, string | string[]>,
    ) => {
      const email = `spoof-${spoofEmails.length}.${RUN}@example.com`;
      spoofEmails.push(email);
      const res = await tlsRequest(direct, {
        method: 'POST',
        ca: caPem,
        identity,
        headers,
        body: registrationBody(email),
        timeoutMs: 30_000,
      });
      say(`${label}: ${res.status} ${res.body?.message ?? ''}`);
      return res;
    };

    expectStatus(
      await attempt('no client certificate', undefined, {}),
      401,
      'Unauthorized',
      /client certificate is required/,
    );
    expectStatus(
      await attempt('no client certificate, X-Remote-User: cnpaas-admin', undefined, SPOOF_HEADERS),
      401,
      'Unauthorized',
      /client certificate is required/,
    );
    expectStatus(
      await attempt(
        'cluster-CA certificate CN=front-proxy-client, X-Remote-User: cnpaas-admin, X-Remote-Group: system:masters',
        ids.spoofClusterCa,
        SPOOF_HEADERS,
      ),
      401,
      'Unauthorized',
      /not signed by the front-proxy CA/,
    );
    expectStatus(
      await attempt(
        'front-proxy-CA certificate CN=mallory-proxy, X-Remote-User: cnpaas-admin, X-Remote-Group: system:masters',
        ids.wrongCn,
        SPOOF_HEADERS,
      ),
      401,
      'Unauthorized',
      /CN "mallory-proxy" is not in --requestheader-allowed-names/,
    );
    // The admin's own certificate is from the cluster CA too: kube-apiserver trusts it, this server must not.
    expectStatus(
      await attempt(
        "the admin's certificate (cluster CA, system:masters)",
        { cert: path.join(pki, 'admin.crt'), key: path.join(pki, 'admin.key') },
        SPOOF_HEADERS,
      ),
      401,
      'Unauthorized',
      /not signed by the front-proxy CA/,
    );
  });

  it("authorizes the real front-proxy certificate's headers with a SubjectAccessReview (the control)", async () => {
    step(
      "The same request with kube-apiserver's real front-proxy certificate: now the headers count, and are authorized",
    );
    const frontProxy = {
      cert: path.join(pki, 'front-proxy-client.crt'),
      key: path.join(pki, 'front-proxy-client.key'),
    };
    const email = `spoof-${spoofEmails.length}.${RUN}@example.com`;
    spoofEmails.push(email);
    const denied = await tlsRequest(direct, {
      method: 'POST',
      ca: caPem,
      identity: frontProxy,
      headers: { 'x-remote-user': 'mallory' },
      body: registrationBody(email),
      timeoutMs: 30_000,
    });
    say(`front-proxy-client, X-Remote-User: mallory: ${denied.status} ${denied.body?.message ?? ''}`);
    expectStatus(denied, 403, 'Forbidden', /mallory/);

    const okEmail = `control.${RUN}@example.com`;
    const ok = await tlsRequest(direct, {
      method: 'POST',
      ca: caPem,
      identity: frontProxy,
      headers: SPOOF_HEADERS,
      body: registrationBody(okEmail),
      timeoutMs: 60_000,
    });
    say(
      `front-proxy-client, X-Remote-User: cnpaas-admin, X-Remote-Group: system:masters: ${ok.status} ${ok.body?.status?.tenant ?? ok.body?.message}`,
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    created.push(ok.body);
  });

  it('created nothing for any rejected request', async () => {
    step('Nothing was created for the rejected requests');
    // The control's 201 came after every rejected request, and the operator finishes one registration before it answers;
    // give any stray RegistrationRequest a moment more to show up, then look everywhere it could have left a trace.
    await sleep(2_000);
    const rrs = await stack.kubectlJson<{ items: any[] }>(['get', `registrationrequests.${GROUP}`]);
    const users = await stack.kubectlJson<{ items: any[] }>(['get', `users.${GROUP}`, '--all-namespaces']);
    const tenants = await stack.kubectlJson<{ items: any[] }>(['get', `tenants.${GROUP}`]);
    const emails = await stack.kubectlJson<{ items: any[] }>(['get', `emails.${GROUP}`, '--all-namespaces']);
    say(
      `RegistrationRequests ${rrs.items.length}, Users ${users.items.length}, Tenants ${tenants.items.length}, Emails ${emails.items.length}`,
    );
    const spoofed = new Set(spoofEmails);
    expect(rrs.items.filter((r) => spoofed.has(String(r.spec?.user?.email)))).toEqual([]);
    expect(users.items.map((u) => u.spec.email)).toEqual([`control.${RUN}@example.com`]);
    expect(tenants.items.map((t) => t.metadata.name)).toEqual([created[0]!.status.tenant]);
    expect(emails.items.map((e) => e.spec.toAddress)).toEqual([`control.${RUN}@example.com`]);
  });

  it('answers 403 through kube-apiserver to a user without permission, and 201 once bound to cnpaas-registrant', async () => {
    step('mallory (a cluster-CA client certificate, no groups) registers through kube-apiserver');
    const email = `mallory.${RUN}@example.com`;
    const post = () =>
      tlsRequest(through, {
        method: 'POST',
        ca: caPem,
        identity: ids.mallory,
        body: registrationBody(email, { firstName: 'Mallory' }),
        timeoutMs: 60_000,
      });

    const denied = await post();
    say(`before the binding: ${denied.status} ${denied.body?.message ?? ''}`);
    expectStatus(
      denied,
      403,
      'Forbidden',
      /User "mallory" cannot create resource "registrations" in API group "api\.webshop\.cnpaas\.dev" at the cluster scope/,
    );
    expect(denied.body.details).toMatchObject({ group: 'api.webshop.cnpaas.dev', kind: 'registrations' });
    // mallory is who she says she is (authenticated), just not allowed: not 401.
    const whoami = await tlsRequest(`${stack.result.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      ca: caPem,
      identity: ids.mallory,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(whoami.status).toBe(201);
    expect(whoami.body.status.userInfo.username).toBe('mallory');
    expect(whoami.body.status.userInfo.groups).toEqual(['system:authenticated']);

    step('Bind ClusterRole cnpaas-registrant to mallory');
    say('$ kubectl create clusterrolebinding mallory-registrant --clusterrole=cnpaas-registrant --user=mallory');
    await stack.kubectl([
      'create',
      'clusterrolebinding',
      'mallory-registrant',
      '--clusterrole=cnpaas-registrant',
      '--user=mallory',
    ]);

    const started = Date.now();
    const seen: number[] = [];
    const answer = await waitFor(
      "mallory's POST to stop answering 403",
      async () => {
        const res = await post();
        seen.push(res.status);
        return res.status === 403 ? undefined : res;
      },
      30_000,
      500,
    );
    say(
      `after the binding: ${answer.status} after ${Date.now() - started} ms (answers on the way: ${seen.join(', ')})`,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const reg = answer.body as RegistrationAnswer;
    expectRegistered(reg);
    expect(JSON.stringify(reg)).not.toContain('Compiler-A0-1952!');
    const user = await stack.kubectlJson(['get', `users.${GROUP}`, reg.status.user, '-n', reg.status.namespace]);
    expect(user.spec.email).toBe(email);

    // The binding grants registering and nothing else.
    const tenants = await tlsRequest(`${stack.result.server}/apis/${GROUP}/v1/tenants`, {
      ca: caPem,
      identity: ids.mallory,
    });
    expect(tenants.status).toBe(403);
    const rrs = await tlsRequest(`${stack.result.server}/apis/${GROUP}/v1/registrationrequests`, {
      method: 'POST',
      ca: caPem,
      identity: ids.mallory,
      body: registrationBody(`direct.${RUN}@example.com`),
    });
    expect(rrs.status).toBe(403);
  });
});

describe('the watch trigger: whom it calls, and as whom', () => {
  let caPem: Buffer;
  let server: https.Server;
  let loopbackUrl: string;
  let connections = 0;

  beforeAll(async () => {
    const pki = path.join(stack.stateDir, 'pki');
    caPem = readFileSync(path.join(pki, 'ca.crt'));
    const out = path.join(stack.stateDir, 'test-pki');
    mkdirSync(out, { recursive: true, mode: 0o700 });
    const clusterCa = await CertificateAuthority.loadOrCreate(pki, 'ca', 'cnpaas-ca');
    const serving = await clusterCa.issue(out, {
      name: 'loopback-target',
      commonName: 'loopback-target',
      usage: 'server',
      ipAddresses: ['127.0.0.1'],
    });
    // A target on this machine that anyone could aim an HTTPTrigger at: it only counts who connects.
    server = https.createServer(
      {
        cert: readFileSync(serving.cert),
        key: readFileSync(serving.key),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (_req, res) => res.end('{}'),
    );
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    loopbackUrl = `https://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const trigger = (name: string, url: string) => ({
    apiVersion: 'platform.cnpaas.dev/v1',
    kind: 'HTTPTrigger',
    metadata: { name, namespace: 'cnpaas-system' },
    spec: {
      resource: { group: GROUP, version: 'v1', resource: 'emails', kind: 'Email' },
      eventTypes: ['ADDED', 'MODIFIED'],
      url,
      method: 'PUT',
      tls: { caBundle: caPem.toString('base64') },
    },
  });

  it('refuses an HTTPTrigger aimed at the kube-apiserver or at a loopback port, and never calls it', async () => {
    step("HTTPTriggers aimed at the trigger's own leader Lease on kube-apiserver, and at a loopback port");
    const lease = `${stack.result.server}/apis/coordination.k8s.io/v1/namespaces/cnpaas-system/leases/cnpaas-trigger`;
    // Welcome Emails exist by now, so a running trigger would send them at once (sendInitialEvents).
    const emails = await stack.kubectlJson<{ items: unknown[] }>(['get', `emails.${GROUP}`, '-A']);
    expect(emails.items.length).toBeGreaterThan(0);
    await stack.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [trigger(`to-apiserver-${RUN}`, lease), trigger(`to-loopback-${RUN}`, loopbackUrl)],
      }),
    );
    for (const name of [`to-apiserver-${RUN}`, `to-loopback-${RUN}`]) {
      const ready = await waitFor(
        `${name} to report Ready=False`,
        async () => {
          const t = await stack.kubectlJson<{
            status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
          }>(['get', 'httptriggers.platform.cnpaas.dev', name, '-n', 'cnpaas-system']);
          return t.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
        },
        60_000,
        500,
      );
      say(`${name}: Ready=False ${ready.reason}: ${ready.message}`);
      expect(ready.reason).toBe('TargetNotAllowed');
      expect(ready.message).toMatch(/--allow-target/);
    }
    const held = await stack.kubectlJson<{ spec: { holderIdentity: string } }>([
      'get',
      'lease',
      'cnpaas-trigger',
      '-n',
      'cnpaas-system',
    ]);
    expect(held.spec.holderIdentity).toBeTruthy();
    await sleep(3_000);
    expect(connections).toBe(0);
    await stack.kubectl([
      'delete',
      'httptriggers.platform.cnpaas.dev',
      `to-apiserver-${RUN}`,
      `to-loopback-${RUN}`,
      '-n',
      'cnpaas-system',
    ]);
  });

  it('delivers to the email function with a certificate kube-apiserver does not accept', async () => {
    step("The demo HTTPTrigger's delivery certificate, presented to kube-apiserver");
    const secret = await stack.kubectlJson<{ data: Record<string, string> }>([
      'get',
      'secret',
      'email-trigger-delivery',
      '-n',
      'cnpaas-system',
    ]);
    const out = path.join(stack.stateDir, 'test-pki');
    const identity: KeyPairFiles = { cert: path.join(out, 'delivery.crt'), key: path.join(out, 'delivery.key') };
    writeFileSync(identity.cert, Buffer.from(secret.data['tls.crt']!, 'base64'));
    writeFileSync(identity.key, Buffer.from(secret.data['tls.key']!, 'base64'), { mode: 0o600 });
    const res = await tlsRequest(`${stack.result.server}/apis/coordination.k8s.io/v1/namespaces/cnpaas-system/leases`, {
      ca: caPem,
      identity,
    });
    say(`kube-apiserver answers ${res.status} to the delivery certificate`);
    expect(res.status).toBe(401);
  });
});
