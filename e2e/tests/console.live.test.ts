/**
 * The web console (packages/console) in a real browser on a live stack, as
 * `cnpaas up` starts it: sign a person up through the form and watch the
 * Tenant, User and Email arrive in their own backends' columns, in two
 * browsers at once, and the mail in the inbox; follow the registration's
 * timeline step by step; every refusal of the form (a weak password, a bad
 * address, an address already registered, …) shows on the field it
 * concerns and makes nothing; markup in a company name stays text, in the
 * views and in the HTML mail's sandboxed frame; keyboard, large type, a
 * phone's width, and axe finds no serious accessibility problem.
 *
 * Screenshots of each view go to test-results/screenshots/, or to
 * docs/images/ (where README and docs/workshop.md use them) with
 * CNPAAS_UPDATE_SCREENSHOTS=1.
 *
 * The browser is Debian's Chromium (apt-get install chromium; CNPAAS_CHROMIUM
 * names another), driven by Playwright's library: Playwright's own browser
 * downloads are never used. Page scripts are passed as strings, since this
 * package's TypeScript has no DOM types.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@cnpaas/service-kit';
import { openStack, type DemoStack } from '../support/demo-stack.js';
import { screenshot } from '../support/screenshots.js';
import { launchChromium, textOf } from '../support/browser.js';

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
  /** Any other field by its label, e.g. { Phone: '+4930123456' }; these win over the defaults. */
  fields?: Record<string, string>;
}

async function fillSignup(page: Page, p: Person): Promise<void> {
  await page.goto('#/signup');
  const values: Record<string, string> = {
    'First name': p.firstName,
    'Last name': p.lastName,
    Email: p.email,
    Password: p.password,
    'Company name': p.companyName ?? '',
    'Country code': 'GB',
    City: 'London',
    'Street address': "12 St James's Square",
    'Postal code': 'SW1Y 4JH',
    ...p.fields,
  };
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label).fill(value);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

async function count(stack: DemoStack, path: string): Promise<number> {
  const res = await stack.http.request('GET', path);
  expect(res.status).toBe(200);
  return (res.body.items as unknown[]).length;
}

describe('cnpaas-console in a browser', () => {
  let stack: DemoStack;
  let browser: Browser;
  /** A second Chromium, as a second person in the audience would have. */
  let otherBrowser: Browser;
  let page: Page;
  let fabric: Page;
  let otherFabric: Page;
  let tenant = '';
  const started = Date.now();

  beforeAll(async () => {
    stack = await openStack(() => {});
    const port = stack.result.ports['console'];
    expect(port).toBeGreaterThan(0);
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}/` });
    page = await context.newPage();
    fabric = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    otherBrowser = await launchChromium();
    otherFabric = await (await otherBrowser.newContext({ baseURL: `http://127.0.0.1:${port}/` })).newPage();
  });
  afterAll(async () => {
    await otherBrowser?.close();
    await browser?.close();
    await stack?.close();
    console.log(`console browser suite: ${((Date.now() - started) / 1000).toFixed(1)} s including the stack`);
  });

  it('signs a person up and shows what was made, while the data fabric shows it arrive live in its backends', async () => {
    // The fabric view is open first, in both browsers, so what follows must arrive over the event stream.
    await fabric.goto('#/fabric');
    await otherFabric.goto('#/fabric');
    await textOf(fabric.locator('#fabric-status'), /^Live$/);
    await textOf(otherFabric.locator('#fabric-status'), /^Live$/);
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

    await screenshot(page, 'signup');
    const tenants = fabric.locator(`[data-backend="tenants"] [data-kind="Tenant"][data-name="${tenant}"]`);
    await textOf(tenants, /Ada Lovelace, GB/);
    // The other browser sees the same objects arrive in the same backends.
    for (const [backend, kind, name] of [
      ['tenants', 'Tenant', tenant],
      ['users', 'User', tenant],
      ['emails', 'Email', `${tenant}-welcome`],
    ]) {
      await textOf(otherFabric.locator(`[data-backend="${backend}"] [data-kind="${kind}"][data-name="${name}"]`), /\S/);
    }
    await textOf(fabric.locator(`[data-backend="users"] [data-kind="User"][data-name="${tenant}"]`), /ada\./);
    // The store's own count of live keys in the tenants backend: at least this tenant.
    await textOf(fabric.locator('[data-backend="tenants"] .keys'), /^[1-9]\d* keys? in the store$/);
    const email = fabric.locator(`[data-backend="emails"] [data-kind="Email"][data-name="${tenant}-welcome"]`);
    await textOf(email, /Sent: /, 60_000);
    await screenshot(fabric, 'fabric');
    // A change redraws the columns; what the reader had open stays open, and keyboard focus stays put.
    await tenants.locator('summary').focus();
    await fabric.keyboard.press('Enter');
    const label = await stack.http.request('PATCH', `/apis/webshop.cnpaas.dev/v1/tenants/${tenant}`, {
      body: { metadata: { labels: { 'console-test': RUN } } },
    });
    expect(label.status).toBe(200);
    await textOf(tenants.locator('pre'), new RegExp(`"console-test": "${RUN}"`));
    await textOf(
      otherFabric.locator(`[data-backend="tenants"] [data-kind="Tenant"][data-name="${tenant}"] pre`),
      new RegExp(`"console-test": "${RUN}"`),
    );
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
    const after = await stack.http.request('PATCH', `/apis/webshop.cnpaas.dev/v1/tenants/${tenant}`, {
      body: { metadata: { labels: { 'console-test': `${RUN}-after-reload` } } },
    });
    expect(after.status).toBe(200);
    await textOf(tenants.locator('summary'), /Object/);
    await tenants.locator('summary').click();
    await textOf(tenants.locator('pre'), new RegExp(`"console-test": "${RUN}-after-reload"`));
    await textOf(
      otherFabric.locator(`[data-backend="tenants"] [data-kind="Tenant"][data-name="${tenant}"] pre`),
      new RegExp(`"console-test": "${RUN}-after-reload"`),
    );
  });

  it('shows the registration’s timeline: every step in order, each with its time and what marked it', async () => {
    await page.goto(`#/timeline/${tenant}`);
    await textOf(page.locator('#timeline-status'), /^Complete$/, 60_000);
    const steps = page.locator('#timeline-steps [data-step]');
    expect(await steps.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step')))).toEqual([
      'request',
      'tenant',
      'namespace',
      'user',
      'access',
      'email',
      'sent',
      'deleted',
    ]);
    expect(await steps.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')))).toEqual(
      Array(8).fill('done'),
    );
    const times = await page
      .locator('#timeline-steps time')
      .evaluateAll((nodes) => nodes.map((n) => Date.parse(n.getAttribute('datetime') ?? '')));
    // The console watched this registration from its start, so every step has a time, none before the request.
    expect(times).toHaveLength(8);
    expect(times.every((t) => t >= times[0]! && t <= Date.now())).toBe(true);
    const marks = await page.locator('#timeline-steps .mark').allTextContents();
    expect(marks).toEqual([
      'metadata.creationTimestamp',
      'condition TenantCreated=True (Created)',
      'condition NamespaceReady=True (Exists)',
      'condition UserCreated=True (Created)',
      'conditions PasswordStored=True, TenantAccess=True',
      'condition EmailCreated=True (Created)',
      'condition Sent=True (Accepted)',
      'Event Registered',
    ]);
    await screenshot(page, 'timeline');
  });

  it('shows the welcome mail in the inbox, newest first, as text', async () => {
    await page.goto('#/inbox');
    const item = page.locator('.mail-item').first();
    await textOf(item, /Welcome to the webshop, Ada/, 60_000);
    await item.click();
    await textOf(page.locator('#mail-subject'), /Welcome to the webshop, Ada/);
    await textOf(page.locator('.mail-text'), new RegExp(`Your account: ${tenant}/${tenant}`));
    await screenshot(page, 'inbox');
  });

  /** Each refusal: what is wrong, the field it must show on, and words the server sends for it. */
  const REFUSALS: { what: string; field: string; words: RegExp; person: (n: number) => Partial<Person> }[] = [
    {
      what: 'a weak password',
      field: 'password',
      words: /must contain an upper-case letter/,
      person: () => ({ password: 'weakpass' }),
    },
    {
      what: 'a password too long',
      field: 'password',
      words: /at most 64/,
      person: () => ({ password: `Aa1!${'x'.repeat(70)}` }),
    },
    {
      what: 'an address that is no address',
      field: 'user.email',
      words: /must be an email address like name@example\.com/,
      person: () => ({ email: 'not-an-address' }),
    },
    {
      what: 'an address already registered',
      field: 'user.email',
      words: /already registered/,
      // Ada's, in upper case: the same address once normalised.
      person: () => ({ email: `ADA.${RUN}@EXAMPLE.COM` }),
    },
    {
      what: 'no first name',
      field: 'user.firstName',
      words: /required|must not be empty/i,
      person: () => ({ firstName: '' }),
    },
    {
      what: 'a phone number not in E.164 form',
      field: 'user.phoneNumber',
      words: /E\.164/,
      person: () => ({ fields: { Phone: '030 123 456' } }),
    },
    {
      what: 'a country that is no code',
      field: 'tenant.country',
      words: /country code/,
      person: () => ({ fields: { 'Country code': 'G8' } }),
    },
    {
      what: 'no city',
      field: 'tenant.city',
      words: /required|must not be empty/i,
      person: () => ({ fields: { City: '' } }),
    },
    {
      what: 'no postal code',
      field: 'tenant.postalCode',
      words: /required|must not be empty/i,
      person: () => ({ fields: { 'Postal code': '' } }),
    },
  ];

  it.each(REFUSALS.map((r, i) => [r.what, r, i] as const))(
    'shows the refusal of %s on its field, in the server’s words, and makes nothing',
    async (_what, refusal, i) => {
      const before = {
        tenants: await count(stack, '/apis/webshop.cnpaas.dev/v1/tenants'),
        rrs: await count(stack, '/apis/webshop.cnpaas.dev/v1/registrationrequests'),
      };
      // A fresh form: no message from the case before.
      await page.goto('#/inbox');
      await fillSignup(page, {
        firstName: 'Refused',
        lastName: `Case ${String.fromCharCode(65 + i)}`,
        email: `refused.${i}.${RUN}@example.com`,
        password: PASSWORD,
        ...refusal.person(i),
      });
      const error = page.locator(`.field-error[data-field="${refusal.field}"]`);
      await textOf(error, refusal.words);
      // The field that holds the message is marked invalid and described by it.
      const errorId = (await error.getAttribute('id')) ?? '';
      expect(await page.locator(`[aria-describedby~="${errorId}"]`).getAttribute('aria-invalid')).toBe('true');
      // Only that field carries a message, and focus lands on it.
      const others = await page
        .locator('.field-error[data-field]')
        .evaluateAll((nodes) =>
          nodes.filter((n) => (n.textContent ?? '') !== '').map((n) => n.getAttribute('data-field')),
        );
      expect(others).toEqual([refusal.field]);
      expect(await page.evaluate('document.activeElement?.getAttribute("aria-invalid")')).toBe('true');
      expect(await page.locator('#signup-done').count()).toBe(0);
      if (i === 0) await screenshot(page, 'signup-refused');
      expect({
        tenants: await count(stack, '/apis/webshop.cnpaas.dev/v1/tenants'),
        rrs: await count(stack, '/apis/webshop.cnpaas.dev/v1/registrationrequests'),
      }).toEqual(before);
    },
  );

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
    for (const view of ['signup', 'fabric', `timeline/${tenant}`, 'inbox']) {
      await page.goto(`#/${view}`);
      await page.locator('main h2').waitFor();
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth'),
        `#/${view} on a phone`,
      ).toBeLessThanOrEqual(375);
      const axe = await new AxeBuilder({ page }).exclude('iframe.mail-html').analyze();
      const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
  });
});
