/**
 * The web console (packages/console) in a real browser on a live stack, as
 * `cnpaas up` starts it: sign a person up through the form and watch the
 * Tenant, User and Email arrive in their own backends' columns and the mail
 * in the inbox; a weak password is refused on the password field and makes
 * nothing; markup in a company name stays text, in the views and in the
 * HTML mail's sandboxed frame; keyboard, large type, a phone's width, and
 * axe finds no serious accessibility problem.
 *
 * The browser is Debian's Chromium (apt-get install chromium; CNPAAS_CHROMIUM
 * names another), driven by Playwright's library: Playwright's own browser
 * downloads are never used. Page scripts are passed as strings, since this
 * package's TypeScript has no DOM types.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Locator, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@cnpaas/service-kit';
import { openStack, type DemoStack } from '../support/demo-stack.js';

const CHROMIUM = process.env.CNPAAS_CHROMIUM ?? '/usr/bin/chromium';
const CONSOLE_BIN = fileURLToPath(new URL('../../packages/console/bin/cnpaas-console.js', import.meta.url));
const RUN = Date.now().toString(36);
const PASSWORD = 'Analytical-Engine-1843!';
const XSS = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">Evil & Co`;

interface Person {
  firstName: string;
  lastName: string;
  email: string;
  password: string;
  companyName?: string;
}

async function fillSignup(page: Page, p: Person): Promise<void> {
  await page.goto('#/signup');
  await page.getByLabel('First name').fill(p.firstName);
  await page.getByLabel('Last name').fill(p.lastName);
  await page.getByLabel('Email').fill(p.email);
  await page.getByLabel('Password').fill(p.password);
  await page.getByLabel('Company name').fill(p.companyName ?? '');
  await page.getByLabel('Country code').fill('GB');
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Street address').fill("12 St James's Square");
  await page.getByLabel('Postal code').fill('SW1Y 4JH');
  await page.getByRole('button', { name: 'Sign up' }).click();
}

/** Polls a locator's text until it matches: the views update asynchronously. */
async function textOf(locator: Locator, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = (await locator.allTextContents()).join('\n');
    if (pattern.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`text ${JSON.stringify(last.slice(0, 300))} never matched ${pattern}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function count(stack: DemoStack, path: string): Promise<number> {
  const res = await stack.http.request('GET', path);
  expect(res.status).toBe(200);
  return (res.body.items as unknown[]).length;
}

describe('cnpaas-console in a browser', () => {
  let stack: DemoStack;
  let browser: Browser;
  let page: Page;
  let fabric: Page;
  let tenant = '';
  const started = Date.now();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CNPAAS_CHROMIUM`);
    stack = await openStack(() => {});
    const port = stack.result.ports['console'];
    expect(port).toBeGreaterThan(0);
    // --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}/` });
    page = await context.newPage();
    fabric = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    console.log(`console browser suite: ${((Date.now() - started) / 1000).toFixed(1)} s including the stack`);
  });

  it('signs a person up and shows what was made, while the data fabric shows it arrive live in its backends', async () => {
    // The fabric view is open first, so what follows must arrive over the event stream, not a reload.
    await fabric.goto('#/fabric');
    await textOf(fabric.locator('#fabric-status'), /^Live$/);
    const columns = await fabric.locator('[data-backend]').all();
    expect(await Promise.all(columns.map((c) => c.getAttribute('data-backend')))).toEqual([
      'main',
      'tenants',
      'users',
      'emails',
    ]);
    // The default EmailTemplate lives in main.
    await textOf(fabric.locator('[data-backend="main"] [data-kind="EmailTemplate"]'), /registration/);

    await fillSignup(page, {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: `ada.${RUN}@example.com`,
      password: PASSWORD,
    });
    await page.locator('#signup-done').waitFor({ timeout: 60_000 });
    tenant = (await page.locator('[data-made="Tenant"]').textContent()) ?? '';
    expect(tenant).toMatch(/^t-[0-9a-f]{12}$/);
    expect(await page.locator('[data-made="Welcome email"]').textContent()).toBe(`${tenant}-welcome`);
    await textOf(page.locator('.made-details'), new RegExp(`User ${tenant}: Ada Lovelace`));

    const tenants = fabric.locator(`[data-backend="tenants"] [data-kind="Tenant"][data-name="${tenant}"]`);
    await textOf(tenants, /Ada Lovelace, GB/);
    await textOf(fabric.locator(`[data-backend="users"] [data-kind="User"][data-name="${tenant}"]`), /ada\./);
    // The store's own count of live keys in the tenants backend: at least this tenant.
    await textOf(fabric.locator('[data-backend="tenants"] .keys'), /^[1-9]\d* keys in the store$/);
    const email = fabric.locator(`[data-backend="emails"] [data-kind="Email"][data-name="${tenant}-welcome"]`);
    await textOf(email, /Sent: /, 60_000);
    // A change redraws the columns; what the reader had open stays open, and keyboard focus stays put.
    await tenants.locator('summary').focus();
    await fabric.keyboard.press('Enter');
    const label = await stack.http.request('PATCH', `/apis/webshop.cnpaas.dev/v1/tenants/${tenant}`, {
      body: { metadata: { labels: { 'console-test': RUN } } },
    });
    expect(label.status).toBe(200);
    await textOf(tenants.locator('pre'), new RegExp(`"console-test": "${RUN}"`));
    expect(await tenants.locator('details').getAttribute('open')).toBe('');
    expect(await fabric.evaluate(`document.activeElement?.closest('li')?.dataset.name`)).toBe(tenant);
    // Nothing of the password or its hash reached the page.
    const html = await fabric.content();
    expect(html).not.toContain('$scrypt$');
    expect(html).not.toContain(PASSWORD);

    // A reload mid-stream: a fresh snapshot, and the stream goes on delivering.
    await fabric.reload();
    await textOf(fabric.locator('#fabric-status'), /^Live$/);
    await textOf(tenants, /Ada Lovelace/);
  });

  it('shows the welcome mail in the inbox, newest first, as text', async () => {
    await page.goto('#/inbox');
    const item = page.locator('.mail-item').first();
    await textOf(item, /Welcome to the webshop, Ada/, 60_000);
    await item.click();
    await textOf(page.locator('#mail-subject'), /Welcome to the webshop, Ada/);
    await textOf(page.locator('.mail-text'), new RegExp(`Your account: ${tenant}/${tenant}`));
  });

  it('shows a weak password’s refusal on the password field, in the server’s words, and makes nothing', async () => {
    const before = {
      tenants: await count(stack, '/apis/webshop.cnpaas.dev/v1/tenants'),
      rrs: await count(stack, '/apis/webshop.cnpaas.dev/v1/registrationrequests'),
    };
    await fillSignup(page, {
      firstName: 'Weak',
      lastName: 'Password',
      email: `weak.${RUN}@example.com`,
      password: 'weakpass',
    });
    const error = page.locator('.field-error[data-field="password"]');
    const text = await textOf(error, /must contain an upper-case letter/);
    expect(text).toMatch(/must contain a digit/);
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    // Focus lands on the field to fix.
    expect(await page.evaluate('document.activeElement?.id')).toBe('f-password');
    expect(await page.locator('.field-error[data-field="user.email"]').textContent()).toBe('');
    expect(await page.locator('#signup-done').count()).toBe(0);
    expect({
      tenants: await count(stack, '/apis/webshop.cnpaas.dev/v1/tenants'),
      rrs: await count(stack, '/apis/webshop.cnpaas.dev/v1/registrationrequests'),
    }).toEqual(before);
  });

  it('shows a company name with markup as text everywhere, and HTML mail only in a frame without scripts', async () => {
    // The welcome template as HTML, so the mail arrives with an HTML part (placeholders are escaped into it).
    const patched = await stack.http.request(
      'PATCH',
      '/apis/webshop.cnpaas.dev/v1/namespaces/cnpaas-system/emailtemplates/registration',
      {
        body: {
          spec: { format: 'html', body: '<p>Hello {{ .spec.firstName }}</p><p>Company: {{ .tenant.companyName }}</p>' },
        },
      },
    );
    expect(patched.status).toBe(200);
    await fillSignup(page, {
      firstName: 'Grace',
      lastName: 'Hopper',
      email: `grace.${RUN}@example.com`,
      password: PASSWORD,
      companyName: XSS,
    });
    await page.locator('#signup-done').waitFor({ timeout: 60_000 });
    const grace = (await page.locator('[data-made="Tenant"]').textContent()) ?? '';
    await textOf(page.locator('.made-details'), /Company: <script>window\.__xss=1<\/script><img src=x/);
    await textOf(
      fabric.locator(`[data-kind="Tenant"][data-name="${grace}"] .summary`),
      /^<script>window\.__xss=1<\/script>/,
    );
    expect(await fabric.locator('[data-backend] script, [data-backend] img').count()).toBe(0);

    await page.goto('#/inbox');
    const item = page.locator('.mail-item').first();
    await textOf(item, /Welcome to the webshop, Grace/, 60_000);
    await item.click();
    const frame = page.locator('iframe.mail-html');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    const body = await textOf(page.frameLocator('iframe.mail-html').locator('body'), /Company: <script>/);
    expect(body).toContain('Evil & Co');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await fabric.evaluate('window.__xss')).toBeUndefined();
  });

  it('with a token, asks for it once, then serves the API and the event stream on the session cookie', async () => {
    // A second console as the same identity, started by hand with a token (the stack's own has none: loopback).
    const port = await freePort();
    const token = `console-token-${RUN}-0123456789`;
    const child = spawn(
      process.execPath,
      [
        CONSOLE_BIN,
        '--kubeconfig',
        path.join(stack.stateDir, 'pki', 'cnpaas-console.kubeconfig'),
        '--port',
        String(port),
      ],
      { stdio: 'ignore', env: { ...process.env, CNPAAS_CONSOLE_TOKEN: token } },
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      for (
        let i = 0;
        !(await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        ));
        i++
      ) {
        expect(i, 'the console with a token never became ready').toBeLessThan(300);
        await sleep(100);
      }
      expect((await fetch(`${base}/api/fabric`)).status).toBe(401);
      expect((await fetch(`${base}/api/fabric`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

      const context = await browser.newContext({ baseURL: `${base}/` });
      const guarded = await context.newPage();
      await guarded.goto('#/fabric');
      await guarded.getByLabel('Console token').fill('not-the-token-at-all');
      await guarded.getByRole('button', { name: 'Sign in' }).click();
      await textOf(guarded.locator('#token-error'), /not the token/);
      await guarded.getByLabel('Console token').fill(token);
      await guarded.getByRole('button', { name: 'Sign in' }).click();
      await textOf(guarded.locator('#fabric-status'), /^Live$/);
      // No --topology: one column, main, holding every object.
      await textOf(
        guarded.locator(`[data-backend="main"] [data-kind="Tenant"][data-name="${tenant}"]`),
        /Ada Lovelace/,
      );
      expect((await context.cookies()).map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
        ['cnpaas_console_session', true, 'Strict'],
      ]);
      await context.close();
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('is keyboard usable, has a large-type mode, fits a phone, and axe finds no serious problem', async () => {
    await page.goto('#/signup');
    await page.reload(); // focus starts at the top of a freshly loaded page
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Sign up');
    await page.getByRole('button', { name: 'Large type' }).press('Enter');
    expect(await page.evaluate('getComputedStyle(document.documentElement).fontSize')).toBe('22px');
    await page.getByRole('button', { name: 'Large type' }).press('Enter');

    await page.setViewportSize({ width: 375, height: 740 });
    for (const view of ['signup', 'fabric', 'inbox']) {
      await page.goto(`#/${view}`);
      await page.locator('main h2').waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      const axe = await new AxeBuilder({ page }).exclude('iframe.mail-html').analyze();
      const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
  });
});
