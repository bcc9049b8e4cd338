/**
 * Verification and sign-in in a real browser on a live stack (one
 * `cnpaas up` for the file): a person signs up through the console's form,
 * the welcome mail's verification link is fetched from the demo SMTP
 * server's store and opened (Verified, in the page and on the User); the
 * same link again is refused as used, a tampered one as not valid, an
 * expired one (signed with the stack's key) as expired. Signing
 * in with the right password shows the person's own User, Tenant and
 * Namespace, read with their own ServiceAccount token, and kube-apiserver
 * refuses another tenant's; a wrong password and an unknown address get the
 * same message.
 *
 * Debian's Chromium through Playwright's library, as in console.live.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { readMail } from '@cnpaas/functions';
import { signToken } from '@cnpaas/service-kit';
import { VERIFICATION_TOKEN_PURPOSE } from '@cnpaas/webshop-api';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailDir, waitForMail } from '../support/mail.js';
import { openStack, type DemoStack } from '../support/demo-stack.js';
import { screenshot } from '../support/screenshots.js';
import { launchChromium, textOf } from '../support/browser.js';

const RUN = Date.now().toString(36);
const PASSWORD = 'Analytical-Engine-1843!';

interface Person {
  firstName: string;
  lastName: string;
  email: string;
}

async function signUp(page: Page, p: Person): Promise<string> {
  await page.goto('./#/signup');
  await page.getByLabel('First name').fill(p.firstName);
  await page.getByLabel('Last name').fill(p.lastName);
  await page.getByLabel('Email').fill(p.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Country code').fill('GB');
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Street address').fill("12 St James's Square");
  await page.getByLabel('Postal code').fill('SW1Y 4JH');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.locator('#signup-done').waitFor({ timeout: 60_000 });
  const tenant = (await page.locator('[data-made="Tenant"]').textContent()) ?? '';
  expect(tenant).toMatch(/^t-[0-9a-f]{12}$/);
  return tenant;
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('./#/signin');
  await page.locator('#signin-email').fill(email);
  await page.locator('#signin-password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('verification and sign-in in the console', () => {
  let stack: DemoStack;
  let browser: Browser;
  let page: Page;
  let base = '';
  const ada: Person = { firstName: 'Ada', lastName: 'Lovelace', email: `ada.${RUN}@example.com` };
  const charles: Person = { firstName: 'Charles', lastName: 'Babbage', email: `charles.${RUN}@example.com` };
  let adaTenant = '';
  let charlesTenant = '';
  let link = '';
  const started = Date.now();

  beforeAll(async () => {
    stack = await openStack(() => {});
    base = `http://127.0.0.1:${stack.result.ports['console']}/`;
    browser = await launchChromium();
    page = await (await browser.newContext({ baseURL: base })).newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    console.log(`console sign-in suite: ${((Date.now() - started) / 1000).toFixed(1)} s including the stack`);
  });

  it('signs two people up; the welcome mail carries a verification link to this console, and no object holds it', async () => {
    adaTenant = await signUp(page, ada);
    charlesTenant = await signUp(page, charles);
    const [mail] = await waitForMail(stack.stateDir, (m) => m.to.includes(ada.email));
    const parsed = await simpleParser((await readMail(mailDir(stack.stateDir), mail!.id)).raw);
    const match = /(http:\/\/127\.0\.0\.1:\d+\/verify#token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(parsed.text ?? '');
    expect(match, parsed.text).not.toBeNull();
    link = match![1]!;
    expect(link.startsWith(`${base}verify#token=`)).toBe(true);
    // The token exists in the mail only: the stored Email keeps the placeholder.
    const email = await stack.kubectlJson(['get', 'email', '-n', adaTenant, `${adaTenant}-welcome`]);
    expect(email.spec.body).toContain('{{ .verificationUrl }}');
    expect(JSON.stringify(email)).not.toContain(link.split('#token=')[1]);
    const user = await stack.kubectlJson(['get', 'user', '-n', adaTenant, adaTenant]);
    expect(user.status.phase).toBe('Pending');
  });

  it('refuses sign-in before verification, with what to do', async () => {
    await signIn(page, ada.email, PASSWORD);
    await textOf(page.locator('#signin-error'), /not verified yet.*verification link/);
  });

  it('opening the link verifies the address: the page says so, the User is Verified with a condition', async () => {
    await page.goto(link);
    await textOf(page.locator('#verify-result'), /Your address is verified/);
    await screenshot(page, 'verify');
    expect(await page.locator('#verify-result').getAttribute('data-outcome')).toBe('verified');
    // The token leaves the address bar once read.
    expect(page.url()).toBe(`${base}verify`);
    const deadline = Date.now() + 30_000;
    let user: any;
    for (;;) {
      user = await stack.kubectlJson(['get', 'user', '-n', adaTenant, adaTenant]);
      if (user.status?.phase === 'Verified' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(user.status.phase).toBe('Verified');
    expect(user.status.verifiedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(user.status.conditions.find((c: { type: string }) => c.type === 'Verified')).toMatchObject({
      status: 'True',
      reason: 'LinkAccepted',
    });
  });

  it('the same link again is refused as already used; a tampered one as not valid; neither changes the User', async () => {
    const before = (await stack.kubectlJson(['get', 'user', '-n', adaTenant, adaTenant])).status.verifiedAt;
    await page.goto(`${base}`);
    await page.goto(link);
    await textOf(page.locator('#verify-result'), /This link was already used/);
    expect(await page.locator('#verify-result').getAttribute('data-outcome')).toBe('used');
    await textOf(page.locator('#verify-result'), /sign in/i);

    const [payload, signature] = link.split('#token=')[1]!.split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    forged.claims.name = charlesTenant;
    forged.claims.namespace = charlesTenant;
    await page.goto(`${base}`);
    await page.goto(`${base}verify#token=${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`);
    await textOf(page.locator('#verify-result'), /This link is not valid/);
    expect(await page.locator('#verify-result').getAttribute('data-outcome')).toBe('invalid');
    expect((await stack.kubectlJson(['get', 'user', '-n', adaTenant, adaTenant])).status.verifiedAt).toBe(before);
    expect((await stack.kubectlJson(['get', 'user', '-n', charlesTenant, charlesTenant])).status.phase).toBe('Pending');
  });

  it('a genuine link past its expiry is refused as expired, and verifies nobody', async () => {
    // Signed with the stack's own key (cnpaas up keeps it in the state dir) for Charles, an hour ago.
    const key = Buffer.from(readFileSync(path.join(stack.stateDir, 'pki', 'verification-key'), 'utf8').trim(), 'utf8');
    const uid = (await stack.kubectlJson(['get', 'user', '-n', charlesTenant, charlesTenant])).metadata.uid as string;
    const token = signToken({
      key,
      purpose: VERIFICATION_TOKEN_PURPOSE,
      claims: { namespace: charlesTenant, name: charlesTenant, uid },
      expiresAt: Date.now() - 3_600_000,
    });
    await page.goto(`${base}`);
    await page.goto(`${base}verify#token=${token}`);
    await textOf(page.locator('#verify-result'), /This link has expired/);
    expect(await page.locator('#verify-result').getAttribute('data-outcome')).toBe('expired');
    expect((await stack.kubectlJson(['get', 'user', '-n', charlesTenant, charlesTenant])).status.phase).toBe('Pending');
  });

  it("signs in and shows the person's own objects, read with their own token; another tenant is refused by the API", async () => {
    await signIn(page, ada.email, PASSWORD);
    await page.waitForURL(/#\/account$/);
    const own = page.locator('#account-own');
    await textOf(own, new RegExp(`system:serviceaccount:${adaTenant}:${adaTenant}`));
    expect(await page.locator('[data-own="user"]').getAttribute('data-status')).toBe('200');
    expect(await page.locator('[data-own="tenant"]').getAttribute('data-status')).toBe('200');
    expect(await page.locator('[data-own="namespace"]').getAttribute('data-status')).toBe('200');
    await textOf(page.locator('[data-own="user"]'), new RegExp(`${ada.email.replace(/\./g, '\\.')} \\(Verified\\)`));
    // The token is in this tab's sessionStorage, not in a cookie; no hash reached the page.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['cnpaas-console-person']);
    expect(await page.content()).not.toContain('$argon2id$');

    await page.locator('#other-tenant').fill(charlesTenant);
    await page.getByRole('button', { name: 'Try to read it' }).click();
    const refused = await textOf(page.locator('#other-result'), /Refused by the API server \(HTTP 403\)/);
    await screenshot(page, 'account');
    expect(refused).toMatch(new RegExp(`tenants.webshop.cnpaas.dev "${charlesTenant}" is forbidden`));
    expect(await page.locator('#other-result [data-read]').getAttribute('data-read')).toBe('refused');
  });

  it('a wrong password and an unknown address get the very same message', async () => {
    await page.locator('#sign-out').click();
    await signIn(page, ada.email, 'Wrong-Password-1843!');
    const wrong = await textOf(page.locator('#signin-error'), /not right/);
    await signIn(page, `nobody.${RUN}@example.com`, PASSWORD);
    const unknown = await textOf(page.locator('#signin-error'), /not right/);
    expect(unknown).toBe(wrong);
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
  });
});
