import { existsSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testMtlsComponentOptions } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { emailFunctionComponent, smtpComponent } from './component.js';
import { parseFunctionConfig } from './function/config.js';
import { parseSmtpConfig } from './mail/smtp-config.js';

describe('component descriptors', () => {
  it('smtp: a command its own flag parser accepts, health URLs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpaas-functions-component-'));
    writeFileSync(join(dir, 'smtp-password'), 'pw\n');
    const d = smtpComponent({
      port: 2525,
      healthPort: 2526,
      mailDir: join(dir, 'mail'),
      user: 'cnpaas',
      passwordFile: join(dir, 'smtp-password'),
      certFile: join(dir, 'smtp.crt'),
      keyFile: join(dir, 'smtp.key'),
    });
    const [node, bin, ...args] = d.command;
    expect(node).toBe(process.execPath);
    expect(existsSync(bin!)).toBe(true);
    expect(parseSmtpConfig(args, {})).toMatchObject({
      port: 2525,
      auth: { user: 'cnpaas', password: 'pw' },
      certFile: join(dir, 'smtp.crt'),
      health: { port: 2526 },
    });
    expect(d.certificates.map((c) => [c.id, c.kind])).toEqual([['smtp-serving', 'serving']]);
    expect(d.healthUrl).toBe('http://127.0.0.1:2526/healthz');
  });

  it('function: a command its flag parser accepts, SMTP password by file, manifests and certificates', () => {
    const options = testMtlsComponentOptions('email-function', 8443);
    const d = emailFunctionComponent({
      ...options,
      smtp: { host: '127.0.0.1', port: 2525, user: 'cnpaas', passwordFile: '/s/smtp-password', tls: 'none' },
    });
    const [, bin, ...args] = d.command;
    expect(existsSync(bin!)).toBe(true);
    expect(parseFunctionConfig(args, {})).toMatchObject({ ...options, allowedClientNames: ['cnpaas-trigger'] });
    expect(JSON.stringify(d)).not.toMatch(/SMTP_PASSWORD"/);
    expect(d.env).toMatchObject({ SMTP_PASSWORD_FILE: '/s/smtp-password', SMTP_TLS: 'none' });
    for (const f of d.manifests.beforeStart) expect(existsSync(f), f).toBe(true);
    // Delivery runs on a CA of its own, not the cluster's.
    expect(d.certificates.map((c) => [c.kind, c.commonName])).toEqual([
      ['ca', 'cnpaas-delivery-ca'],
      ['serving', 'cnpaas-email-function'],
      ['client', 'cnpaas-trigger'],
      ['client', 'cnpaas-email-function'],
    ]);
    expect(d.healthUrl).toBe('https://127.0.0.1:8443/healthz');
  });
});
