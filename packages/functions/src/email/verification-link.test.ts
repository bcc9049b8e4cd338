import { randomBytes } from 'node:crypto';
import { verifyToken } from '@cnpaas/service-kit';
import { VERIFICATION_TOKEN_PURPOSE } from '@cnpaas/webshop-api';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { EmailDelivery } from '../claim/exactly-once.js';
import { MemoryEmailStatusStore } from '../claim/memory-status-store.js';
import type { EmailObject } from '../email-resource.js';
import { listMail, readMail } from '../mail/mail-store.js';
import { capturingLogger, emailObject, startSink, type TestSink } from '../test-support.js';
import { EmailSender } from './sender.js';
import { VerificationLinks, checkVerifyUrl } from './verification-link.js';

const KEY = randomBytes(32);
const NOW = Date.UTC(2030, 0, 2, 3, 4, 5);
const USER_UID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function owned(body: string, format?: 'html' | 'text'): EmailObject {
  const email = emailObject({ spec: { body, ...(format ? { format } : {}) } });
  email.metadata.ownerReferences = [
    { apiVersion: 'webshop.cnpaas.dev/v1', kind: 'User', name: 't-0123456789ab', uid: USER_UID, controller: true },
  ];
  return email;
}

const links = (key: () => Promise<Buffer> = async () => KEY) =>
  new VerificationLinks({ key, baseUrl: 'http://127.0.0.1:8090/verify', now: () => NOW });

function tokenIn(body: string): string {
  const match = /#token=([A-Za-z0-9_.-]+)/.exec(body);
  expect(match, body).not.toBeNull();
  return match![1]!;
}

describe('verification links', () => {
  it("put a fresh link into the body, signed over the owning User's namespace, name and UID, valid for 24 h", async () => {
    const result = await links().personalise(owned('Confirm: {{ .verificationUrl }} (once)'));
    expect(result.ok).toBe(true);
    const body = result.ok ? (result.email.spec.body ?? '') : '';
    expect(body).toMatch(/^Confirm: http:\/\/127\.0\.0\.1:8090\/verify#token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+ \(once\)$/);
    const check = verifyToken({ key: KEY, purpose: VERIFICATION_TOKEN_PURPOSE, token: tokenIn(body), now: NOW });
    expect(check).toEqual({
      valid: true,
      claims: { namespace: 't-0123456789ab', name: 't-0123456789ab', uid: USER_UID },
      expiresAt: NOW + 24 * 3600 * 1000,
    });
    expect(
      verifyToken({ key: KEY, purpose: VERIFICATION_TOKEN_PURPOSE, token: tokenIn(body), now: NOW + 24 * 3600 * 1000 }),
    ).toEqual({ valid: false, reason: 'expired' });
  });

  it('escape the link in an HTML body, and leave an Email without the placeholder as it is', async () => {
    const html = new VerificationLinks({ key: async () => KEY, baseUrl: 'http://127.0.0.1:8090/verify?a=1&b=2' });
    const result = await html.personalise(owned('<a href="{{ .verificationUrl }}">confirm</a>', 'html'));
    expect(result.ok && result.email.spec.body).toMatch(
      /^<a href="http:\/\/127\.0\.0\.1:8090\/verify\?a=1&amp;b=2#token=[^"&<>]+">confirm<\/a>$/,
    );
    const plain = owned('no link here');
    expect(await links().personalise(plain)).toEqual({ ok: true, email: plain });
  });

  it('refuse for good an Email no User controls, and ask to retry when the key cannot be read', async () => {
    expect(await links().personalise(emailObject({ spec: { body: '{{ .verificationUrl }}' } }))).toMatchObject({
      ok: false,
      permanent: true,
    });
    const noKey = links(async () => {
      throw new Error('Secret cnpaas-system/cnpaas-verification-key does not exist');
    });
    expect(await noKey.personalise(owned('{{ .verificationUrl }}'))).toMatchObject({
      ok: false,
      permanent: false,
      message: expect.stringContaining('does not exist') as unknown,
    });
  });

  it('--verify-url must be http(s) without a fragment', () => {
    expect(checkVerifyUrl('https://shop.example/verify')).toBe('https://shop.example/verify');
    for (const bad of ['ftp://x/verify', 'not a url', 'http://x/verify#frag'])
      expect(() => checkVerifyUrl(bad)).toThrow(/--verify-url/);
  });
});

describe('the link in a real send', () => {
  let sink: TestSink | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  async function deliveryWith(key: () => Promise<Buffer>) {
    sink = await startSink();
    const { log, lines } = capturingLogger();
    const store = new MemoryEmailStatusStore();
    const sender = new EmailSender({ settings: sink.settings, log, deadlineMs: 2_000 });
    const personalise = links(key);
    const delivery = new EmailDelivery({
      store,
      sender,
      log,
      claimLeaseMs: 5_000,
      personalise: (e) => personalise.personalise(e),
    });
    const email = store.put(owned('Hello, confirm here: {{ .verificationUrl }}'));
    return { store, delivery, email, lines, ref: { namespace: email.metadata.namespace, name: email.metadata.name } };
  }

  it('the mail carries the link; the stored Email keeps the placeholder and the logs never see the token', async () => {
    const { store, delivery, email, lines, ref } = await deliveryWith(async () => KEY);
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'sent' });
    const [mail] = await listMail(sink!.dir);
    const parsed = await simpleParser((await readMail(sink!.dir, mail!.id)).raw);
    const token = tokenIn(parsed.text ?? '');
    expect(verifyToken({ key: KEY, purpose: VERIFICATION_TOKEN_PURPOSE, token, now: NOW }).valid).toBe(true);
    expect(store.peek(ref)?.spec.body).toBe('Hello, confirm here: {{ .verificationUrl }}');
    expect(JSON.stringify(store.peek(ref))).not.toContain(token);
    expect(lines.join('\n')).not.toContain(token);
  });

  it('without a readable key: retry later, nothing claimed, nothing sent', async () => {
    const { store, delivery, email, ref } = await deliveryWith(async () => {
      throw new Error('forbidden');
    });
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({
      outcome: 'retry-later',
      reason: 'not-ready',
    });
    expect(store.peek(ref)?.status?.claimedBy).toBeUndefined();
    expect(await listMail(sink!.dir)).toEqual([]);
  });
});
