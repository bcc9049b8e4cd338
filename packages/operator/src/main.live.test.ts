/**
 * The built program, run as `cnpaas up` will run it: through the committed
 * launcher (the test target depends on the build, so dist/ exists). No
 * apiserver is behind the kubeconfig: this proves the process wiring (flags,
 * health server, graceful SIGTERM), not the controllers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnbuiltLauncher } from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../bin/cnpaas-operator.js', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnpaas-operator-main-'));
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: local, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: cnpaas-operator, user: {}}]',
      'contexts: [{name: local, context: {cluster: local, user: cnpaas-operator}}]',
      'current-context: local',
      '',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cnpaas-operator', () => {
  it('says "not built" when dist is missing', () => {
    const notBuilt = { status: 1, stderr: 'cnpaas-operator: not built: run npm run build' };
    expect(runUnbuiltLauncher(LAUNCHER)).toEqual(notBuilt);
  });

  it('exits 2 with the fix for a bad flag, and prints --help', () => {
    const bad = spawnSync(process.execPath, [LAUNCHER, '--listen-health', 'x'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('CNPAAS_OPERATOR_BAD_FLAG');
    const help = spawnSync(process.execPath, [LAUNCHER, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--no-leader-election');
  });

  it('serves /healthz, is not ready without an apiserver, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        LAUNCHER,
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--listen-health',
        '127.0.0.1:0',
        '--no-leader-election',
        '--log-level',
        'info',
      ],
      {
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "started" line: ${out}`)), 15_000);
      child.stdout.on('data', () => {
        const m = /"health":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('cnpaas_controller_reconcile_total');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
