/**
 * The built programs, run through the committed launchers as `cnpaas up`
 * will run them. (The test target depends on the build, so dist/ exists.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cnpaas/service-kit';
import { notBuiltRun, runUnbuiltLauncher } from '@cnpaas/service-kit/testing';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMail } from './mail/mail-store.js';
import { smtpSinkPki } from './test-support.js';

const SMTP = fileURLToPath(new URL('../bin/cnpaas-smtp.js', import.meta.url));
const FUNCTION = fileURLToPath(new URL('../bin/cnpaas-email-function.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-functions-main-'));

beforeAll(() => {
  // A password file, so the sink gets as far as asking for its certificate.
  writeFileSync(join(dir, 'pw'), 'x\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(bin: string, args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 20_000,
  });
}

describe('launchers', () => {
  it('say "not built" when dist is missing', () => {
    for (const [bin, name] of [
      [SMTP, 'cnpaas-smtp'],
      [FUNCTION, 'cnpaas-email-function'],
    ] as const) {
      expect(runUnbuiltLauncher(bin), name).toEqual(notBuiltRun(name));
    }
  });

  it.each([
    {
      case: 'smtp without a password',
      bin: SMTP,
      args: ['--mail-dir', join(dir, 'm')],
      stderr: ['CNPAAS_FUNCTIONS_BAD_FLAG', 'fix:'],
    },
    {
      case: 'smtp without AUTH off loopback',
      bin: SMTP,
      args: ['--mail-dir', 'm', '--insecure-no-auth', '--listen', '0.0.0.0:2525'],
      stderr: ['--listen: 0.0.0.0 is not a loopback address'],
    },
    {
      case: 'smtp with AUTH but no certificate',
      bin: SMTP,
      args: ['--mail-dir', join(dir, 'm'), '--password-file', join(dir, 'pw')],
      stderr: ['--cert-file: is required with AUTH'],
    },
    {
      case: 'the function without a client CA',
      bin: FUNCTION,
      args: ['--cert-file', 'a', '--key-file', 'b', '--kubeconfig', 'k'],
      stderr: ['--client-ca-file'],
    },
    {
      case: 'the function with a --verify-url that has a fragment',
      bin: FUNCTION,
      args: [
        '--cert-file',
        'a',
        '--key-file',
        'b',
        '--client-ca-file',
        'c',
        '--kubeconfig',
        'k',
        '--verify-url',
        'http://console.example/verify#already-a-fragment',
      ],
      stderr: ['--verify-url', 'without a #fragment'],
    },
  ])('exit 2 with a fix for configuration errors: $case', ({ bin, args, stderr }) => {
    const result = run(bin, args);
    expect(result.status).toBe(2);
    for (const text of stderr) expect(result.stderr).toContain(text);
  });

  it("--help exits 0 and names the function's settings", () => {
    const help = run(FUNCTION, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('SMTP_PASSWORD_FILE');
    expect(help.stdout).toContain('--verify-url');
  });
});

describe('cnpaas-smtp', () => {
  it('accepts mail authenticated after STARTTLS into --mail-dir, refuses AUTH in clear, serves health, stops cleanly on SIGTERM', async () => {
    const [port, healthPort] = [await freePort(), await freePort()];
    const passwordFile = join(dir, 'smtp-password');
    writeFileSync(passwordFile, 'Cli-Secret-Pw\n', { mode: 0o600 });
    const { ca, server } = await smtpSinkPki();
    writeFileSync(join(dir, 'smtp.crt'), server.cert);
    writeFileSync(join(dir, 'smtp.key'), server.key, { mode: 0o600 });
    const mailDir = join(dir, 'mail');
    const child = spawn(
      process.execPath,
      [
        SMTP,
        '--listen',
        `127.0.0.1:${port}`,
        '--listen-health',
        `127.0.0.1:${healthPort}`,
        '--mail-dir',
        mailDir,
        '--user',
        'u',
        '--password-file',
        passwordFile,
        '--cert-file',
        join(dir, 'smtp.crt'),
        '--key-file',
        join(dir, 'smtp.key'),
      ],
      {
        env: { PATH: process.env['PATH'] ?? '' },
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !stdout.includes('"listening"'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toContain('"listening"');
    const plain = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      ignoreTLS: true,
      auth: { user: 'u', pass: 'Cli-Secret-Pw' },
    });
    await expect(
      plain.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'clear', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 538 });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      requireTLS: true,
      tls: { ca: ca.cert },
      auth: { user: 'u', pass: 'Cli-Secret-Pw' },
    });
    await transport.sendMail({
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 'cli',
      text: 'hello',
      messageId: '<cli@x>',
    });
    expect((await listMail(mailDir)).map((m) => m.messageId)).toEqual(['<cli@x>']);
    const health = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
    expect(await health.text()).toContain('cnpaas_smtp_messages_stored_total 1');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).not.toContain('Cli-Secret-Pw');
  });
});
