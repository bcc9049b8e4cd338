/**
 * The built program, run as `cnpaas up` will run it: through the committed
 * launcher, with certificate files and a kubeconfig on disk. (The test target
 * depends on the build, so dist/ exists here.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notBuiltRun, runUnbuiltLauncher } from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APISERVER_WEBHOOK_CLIENT_NAME } from './component.js';
import { WEBHOOKS } from './routes.js';
import { testPki, type TestPki } from './test-support.js';

const LAUNCHER = fileURLToPath(new URL('../bin/cnpaas-webhooks.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-webhooks-main-'));
let pki: TestPki;

beforeAll(async () => {
  pki = await testPki();
  writeFileSync(join(dir, 'serving.crt'), pki.server.cert);
  writeFileSync(join(dir, 'serving.key'), pki.server.key);
  writeFileSync(join(dir, 'client-ca.crt'), pki.ca.cert);
  // No apiserver behind it: the Tenant webhook needs none, and nothing here calls a claim.
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: local, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: cnpaas-webhooks, user: {}}]',
      'contexts: [{name: local, context: {cluster: local, user: cnpaas-webhooks}}]',
      'current-context: local',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// The flags a run needs: the client check (required, so it cannot fail open) and the serving files. A case below
// leaves one out or points a file elsewhere.
const clientCheck = () => [
  '--client-ca-file',
  join(dir, 'client-ca.crt'),
  '--allowed-client-names',
  APISERVER_WEBHOOK_CLIENT_NAME,
];
const serving = (files: { cert?: string; key?: string; kubeconfig?: string } = {}) => [
  '--cert-file',
  join(dir, files.cert ?? 'serving.crt'),
  '--key-file',
  join(dir, files.key ?? 'serving.key'),
  '--kubeconfig',
  join(dir, files.kubeconfig ?? 'kubeconfig'),
];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [LAUNCHER, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cnpaas-webhooks', () => {
  it('says "not built" when dist is missing', () => {
    expect(runUnbuiltLauncher(LAUNCHER)).toEqual(notBuiltRun('cnpaas-webhooks'));
  });

  it('prints usage and version', () => {
    expect(run(['--help'])).toMatchObject({ status: 0, stdout: expect.stringContaining('--client-ca-file FILE') });
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: 'cnpaas-webhooks 0.1.0\n' });
  });

  it.each([
    {
      case: 'no client CA',
      args: [...serving(), '--allowed-client-names', APISERVER_WEBHOOK_CLIENT_NAME],
      stderr: 'CNPAAS_WEBHOOKS_BAD_FLAG: --client-ca-file: is required',
    },
    {
      case: 'no allowed client names',
      args: [...serving(), '--client-ca-file', join(dir, 'client-ca.crt')],
      stderr: 'CNPAAS_WEBHOOKS_BAD_FLAG: --allowed-client-names: is required',
    },
    {
      case: 'no serving certificate',
      args: ['--kubeconfig', join(dir, 'kubeconfig')],
      stderr: 'cnpaas-webhooks: CNPAAS_WEBHOOKS_BAD_FLAG: --cert-file: is required\n  fix: ',
    },
    {
      case: 'a certificate file that is not there',
      args: [...clientCheck(), ...serving({ cert: 'nope.crt' })],
      stderr: `CNPAAS_WEBHOOKS_TLS: cannot read --cert-file ${join(dir, 'nope.crt')}`,
    },
    {
      case: "a key that is not the certificate's",
      args: [...clientCheck(), ...serving({ key: 'client-ca.crt' })],
      stderr: 'CNPAAS_WEBHOOKS_TLS: TLS setup failed',
    },
    {
      case: 'no kubeconfig at the path',
      args: [...clientCheck(), ...serving({ kubeconfig: 'missing' })],
      stderr: 'CNPAAS_WEBHOOKS_KUBECONFIG: cannot load kubeconfig',
    },
    {
      // A password-hash cost below the floor never starts a server that would make weak hashes.
      case: 'an argon2id cost below the floor',
      args: [...clientCheck(), ...serving(), '--argon2id-cost', 'm=8192,t=2,p=1'],
      stderr:
        "CNPAAS_WEBHOOKS_BAD_FLAG: --argon2id-cost: m=8192,t=2,p=1 is below the floor m=19456,t=2,p=1 (OWASP's minimum for argon2id)",
    },
  ])('exits 2 with what went wrong and what to do: $case', ({ args, stderr }) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(stderr);
  });

  it('serves over TLS, requires the client certificate, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [LAUNCHER, '--listen', '127.0.0.1:0', ...serving(), ...clientCheck()], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info' },
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line; stdout so far:\n${stdout}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const m = /"url":"(https:\/\/[^"]+)".*"msg":"listening"/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const get = (
        path: string,
        body?: string,
        client?: { cert: string; key: string },
      ): Promise<{ status: number; text: string }> =>
        new Promise((resolve, reject) => {
          const req = https.request(
            `${url}${path}`,
            {
              method: body ? 'POST' : 'GET',
              ca: pki.ca.cert,
              ...(client ?? {}),
              headers: body ? { 'content-type': 'application/json' } : {},
              agent: false,
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });

      expect(await get('/healthz')).toEqual({ status: 200, text: 'ok' });
      expect(await get('/readyz')).toEqual({ status: 200, text: 'ok' });
      const review = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u-1',
          kind: { group: 'webshop.cnpaas.dev', version: 'v1', kind: 'Tenant' },
          resource: { group: 'webshop.cnpaas.dev', version: 'v1', resource: 'tenants' },
          operation: 'CREATE',
          userInfo: { username: 'system:serviceaccount:cnpaas-system:operator' },
          object: {
            metadata: { name: 't-0123456789ab' },
            spec: { country: 'DE', city: 'Berlin', address: 'Unter den Linden 1', postalCode: '10117' },
          },
        },
      });
      expect((await get(WEBHOOKS.validateTenants.path, review)).status).toBe(401);
      const allowed = await get(WEBHOOKS.validateTenants.path, review, pki.client);
      expect(allowed.status).toBe(200);
      expect(JSON.parse(allowed.text)).toEqual({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: 'u-1', allowed: true },
      });
      const metrics = await get('/metrics');
      expect(metrics.text).toContain('cnpaas_webhooks_process_cpu_seconds_total');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('"msg":"stopping"');
  });
});
