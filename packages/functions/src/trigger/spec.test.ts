import { describe, expect, it } from 'vitest';
import { planTrigger, type PlanResult } from './spec.js';
import { targetPolicy, type TargetPolicy } from './target-policy.js';
import type { HTTPTrigger, HTTPTriggerSpec } from './types.js';

/** The platform's allow-list: the local function's address. */
const ALLOWED = targetPolicy({ allow: ['127.0.0.1:8443'], apiserverUrl: 'https://10.0.0.1:6443' });

function plan(
  spec: Partial<HTTPTriggerSpec>,
  namespace = 'cnpaas-system',
  targets: TargetPolicy = ALLOWED,
): PlanResult {
  const trigger: HTTPTrigger = {
    metadata: { name: 't', namespace, uid: 'u', generation: 3 },
    spec: {
      resource: { group: 'webshop.cnpaas.dev', version: 'v1', resource: 'emails' },
      url: 'https://127.0.0.1:8443/email',
      ...spec,
    },
  };
  return planTrigger(trigger, { clusterTriggerNamespaces: ['cnpaas-system'], targets });
}

function ok(spec: Partial<HTTPTriggerSpec>, namespace?: string) {
  const r = plan(spec, namespace);
  if (!r.ok) throw new Error(r.message);
  return r.plan;
}

function problem(
  spec: Partial<HTTPTriggerSpec>,
  namespace?: string,
  targets?: TargetPolicy,
): { reason: string; message: string } {
  const r = plan(spec, namespace, targets);
  if (r.ok) throw new Error('expected the spec to be refused');
  return r;
}

describe('planTrigger', () => {
  it('applies the defaults', () => {
    const p = ok({});
    expect(p).toMatchObject({
      key: 'cnpaas-system/t',
      generation: 3,
      namespaces: undefined,
      method: 'POST',
      contentType: 'application/json',
      sendInitialEvents: true,
      template: undefined,
      delivery: {
        timeoutMs: 10_000,
        retries: 5,
        backoff: { initialMs: 1_000, maxMs: 60_000 },
        concurrency: 1,
        coalesce: false,
      },
      resource: { group: 'webshop.cnpaas.dev', version: 'v1', plural: 'emails', namespaced: false },
    });
    expect([...p.eventTypes]).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it("resolves a service to its cluster DNS name, defaulting the namespace to the trigger's", () => {
    expect(ok({ url: undefined, service: { name: 'email', port: 8443, path: '/email' } }).url).toBe(
      'https://email.cnpaas-system.svc:8443/email',
    );
    expect(ok({ url: undefined, service: { name: 'fn', namespace: 'faas', port: 443 } }).url).toBe(
      'https://fn.faas.svc:443/',
    );
    expect(problem({ service: { name: 'fn', port: 443 } }).message).toMatch(/exactly one of spec.url and spec.service/);
    expect(problem({ url: undefined }).message).toMatch(/exactly one/);
  });

  it('refuses plain http, credentials in the URL and reserved headers', () => {
    expect(problem({ url: 'http://127.0.0.1/' })).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringMatching(/must be https/),
    });
    expect(problem({ url: 'https://u:p@host/' }).message).toMatch(/credentials/);
    expect(problem({ headers: { Host: 'evil' } }).message).toMatch(/Host is set by the trigger/);
    expect(problem({ headers: { 'X-Cnpaas-Trigger': 'x' } }).message).toMatch(/set by the trigger/);
    expect(problem({ headers: { 'Content-Type': 'text/plain' } }).message).toMatch(/body.contentType/);
    expect(problem({ headers: { 'x-a': 'one\r\nx-b: two' } }).message).toMatch(/single-line/);
    expect(ok({ headers: { 'X-Team': 'shop' } }).headers).toEqual({ 'x-team': 'shop' });
  });

  it('lets only cluster-trigger namespaces watch other namespaces', () => {
    expect(ok({}, 'shop').namespaces).toEqual(['shop']);
    expect(ok({ namespaces: ['shop'] }, 'shop').namespaces).toEqual(['shop']);
    expect(problem({ namespaces: ['t-1'] }, 'shop')).toMatchObject({ reason: 'NamespaceNotAllowed' });
    expect(ok({ namespaces: ['b', 'a', 'b'] }).namespaces).toEqual(['a', 'b']);
  });

  it('reports template errors as InvalidTemplate with the position', () => {
    expect(problem({ body: { template: '{"a": {{ .x }' } })).toMatchObject({
      reason: 'InvalidTemplate',
      message: expect.stringMatching(/line 1 column 7/),
    });
    expect(
      ok({ body: { template: '{{ toJson .object }}', contentType: 'application/cloudevents+json' } }).template?.render({
        object: { a: 1 },
      }),
    ).toBe('{"a":1}');
  });

  it('checks delivery ranges and TLS settings', () => {
    expect(problem({ delivery: { retries: 101 } }).message).toMatch(/retries must be a whole number from 0 to 100/);
    expect(problem({ delivery: { concurrency: 0 } }).message).toMatch(/concurrency/);
    expect(problem({ delivery: { backoff: { initialSeconds: 10, maxSeconds: 5 } } }).message).toMatch(/maxSeconds/);
    expect(problem({ tls: { caBundle: Buffer.from('not a pem').toString('base64') } }).message).toMatch(/PEM/);
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(ok({ tls: { caBundle: Buffer.from(pem).toString('base64') } }).ca).toEqual({ pem });
    expect(ok({ tls: { caSecretRef: { name: 'fn-ca' } } }).ca).toEqual({
      secretRef: { namespace: 'cnpaas-system', name: 'fn-ca', key: 'ca.crt' },
    });
    expect(ok({}).clientSecret).toBeUndefined();
    expect(ok({ tls: { clientSecretRef: { name: 'fn-client' } } }, 'shop').clientSecret).toEqual({
      namespace: 'shop',
      name: 'fn-client',
    });
    expect(problem({ tls: { clientSecretRef: { name: 'Bad Name' } } }).message).toMatch(
      /clientSecretRef.name "Bad Name" is not a Secret name/,
    );
    expect(problem({ resource: { version: 'v1', resource: 'Emails' } }).message).toMatch(/lower-case plural/);
  });

  it('fingerprints the watch, not the delivery settings', () => {
    const a = ok({});
    expect(ok({ headers: { 'x-a': 'b' }, delivery: { retries: 1 } }).fingerprint).toBe(a.fingerprint);
    expect(ok({ labelSelector: 'app=shop' }).fingerprint).not.toBe(a.fingerprint);
    expect(ok({ namespaces: ['t-1'] }).fingerprint).not.toBe(a.fingerprint);
  });

  it('refuses loopback, link-local and apiserver targets that are not allow-listed, and never runs them', () => {
    const refused = (url: string, targets?: TargetPolicy) => problem({ url }, 'cnpaas-system', targets);
    for (const url of [
      'https://127.0.0.1:9443/',
      'https://127.9.9.9/',
      'https://localhost:8443/',
      'https://LOCALHOST.:8443/',
      'https://fn.localhost/',
      'https://[::1]:8443/',
      'https://0.0.0.0:8443/',
      'https://[::ffff:127.0.0.1]:8443/',
    ]) {
      expect(refused(url), url).toMatchObject({
        reason: 'TargetNotAllowed',
        message: expect.stringMatching(/loopback .*--allow-target .*never called/),
      });
    }
    expect(refused('https://169.254.169.254/latest/meta-data')).toMatchObject({
      reason: 'TargetNotAllowed',
      message: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    expect(refused('https://10.0.0.1:6443/api')).toMatchObject({
      reason: 'TargetNotAllowed',
      message: expect.stringContaining("10.0.0.1:6443: the kube-apiserver's own address"),
    });
    for (const host of ['kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'kubernetes']) {
      expect(refused(`https://${host}/apis`).message).toContain("the kube-apiserver's in-cluster name");
    }
    expect(problem({ url: undefined, service: { name: 'kubernetes', namespace: 'default', port: 443 } })).toMatchObject(
      { reason: 'TargetNotAllowed' },
    );
    // Without any allow-list even the platform's own function is refused; an allow-listed apiserver is the platform's choice.
    expect(refused('https://127.0.0.1:8443/email', targetPolicy())).toMatchObject({ reason: 'TargetNotAllowed' });
    expect(ok({ url: 'https://127.0.0.1:8443/email' }).url).toBe('https://127.0.0.1:8443/email');
    expect(
      plan(
        { url: 'https://10.0.0.1:6443/' },
        'cnpaas-system',
        targetPolicy({ allow: ['10.0.0.1:6443'], apiserverUrl: 'https://10.0.0.1:6443' }),
      ).ok,
    ).toBe(true);
    // Ordinary addresses and names pass (names are checked again against what they resolve to, per connection).
    expect(ok({ url: 'https://10.0.0.2:6443/' }).url).toBe('https://10.0.0.2:6443/');
    expect(ok({ url: 'https://fn.example.com/hook' }).url).toBe('https://fn.example.com/hook');
  });
});
