import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FunctionsError } from '../errors.js';
import { describeSmtpSettings, loadSmtpSettings, transportOptions } from './smtp-settings.js';

describe('loadSmtpSettings', () => {
  it('defaults like the original (localhost:587, STARTTLS required, no AUTH)', () => {
    const s = loadSmtpSettings({});
    expect(s).toMatchObject({ host: 'localhost', port: 587, tls: 'starttls', auth: undefined });
    expect(transportOptions(s, 5_000)).toMatchObject({ requireTLS: true, secure: false, ignoreTLS: false });
    expect(loadSmtpSettings({ SMTP_PORT: '465' }).tls).toBe('implicit');
    expect(loadSmtpSettings({ SMTP_USE_TLS: 'false' }).tls).toBe('none');
  });

  it('prefers mounted secret files to env, reads SMTP_PASSWORD_FILE, never describes the password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpaas-smtp-secrets-'));
    writeFileSync(join(dir, 'smtp-host'), 'mail.example\n');
    writeFileSync(join(dir, 'smtp-username'), 'bot\n');
    writeFileSync(join(dir, 'pw'), 'File-Pw\n');
    const s = loadSmtpSettings({
      SMTP_SECRETS_DIR: dir,
      SMTP_HOST: 'ignored',
      SMTP_PASSWORD_FILE: join(dir, 'pw'),
      SMTP_TLS: 'none',
    });
    expect(s).toMatchObject({ host: 'mail.example', tls: 'none', auth: { user: 'bot', pass: 'File-Pw' } });
    expect(JSON.stringify(describeSmtpSettings(s))).not.toContain('File-Pw');
  });

  it('refuses a bad port, an unknown TLS policy, and a user without a password', () => {
    expect(() => loadSmtpSettings({ SMTP_PORT: 'x' })).toThrow(FunctionsError);
    expect(() => loadSmtpSettings({ SMTP_TLS: 'maybe' })).toThrow(/unknown/);
    expect(() => loadSmtpSettings({ SMTP_USERNAME: 'u' })).toThrow(/without the other/);
  });
});
