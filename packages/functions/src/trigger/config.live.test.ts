import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notBuiltRun, runUnbuiltLauncher, thrownBy } from '@cnpaas/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { triggerComponent, triggerIdentity } from '../component.js';
import { FunctionsError } from '../errors.js';
import { parseTriggerConfig } from './config.js';

const BIN = fileURLToPath(new URL('../../bin/cnpaas-trigger.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-trigger-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const badFlag = (argv: string[], env: NodeJS.ProcessEnv = {}): string =>
  thrownBy(FunctionsError, () => parseTriggerConfig(argv, env)).describe();

describe('cnpaas-trigger flags', () => {
  it('parses flags with env fallbacks and defaults', () => {
    const config = parseTriggerConfig(
      ['--kubeconfig', '/s/t.kubeconfig', '--allow-target', '127.0.0.1:8443,[::1]:9443'],
      { CNPAAS_TRIGGER_STATUS_INTERVAL: '5s' },
    );
    expect(config).toMatchObject({
      healthHost: '127.0.0.1',
      healthPort: 8084,
      kubeconfig: '/s/t.kubeconfig',
      allowTargets: ['127.0.0.1:8443', '[::1]:9443'],
      leaderElection: true,
      clusterTriggerNamespaces: ['cnpaas-system'],
      statusIntervalMs: 5_000,
      maxPending: 10_000,
      triggerClass: undefined,
    });
  });

  it('--trigger-class: a DNS label, also from CNPAAS_TRIGGER_CLASS; anything else is refused with the fix', () => {
    expect(parseTriggerConfig(['--kubeconfig', 'k', '--trigger-class', 'shelf-keeper'], {})).toMatchObject({
      triggerClass: 'shelf-keeper',
    });
    expect(parseTriggerConfig(['--kubeconfig', 'k'], { CNPAAS_TRIGGER_CLASS: 'inventory' })).toMatchObject({
      triggerClass: 'inventory',
    });
    expect(badFlag(['--kubeconfig', 'k', '--trigger-class', 'Shelf_Keeper'])).toMatch(
      /--trigger-class: "Shelf_Keeper" is not a DNS label[\s\S]*fix: e\.g\. --trigger-class inventory/,
    );
    expect(badFlag(['--kubeconfig', 'k', '--trigger-class', 'x'.repeat(64)])).toMatch(/is not a DNS label/);
  });

  it('refuses missing kubeconfig, a client certificate of its own, a malformed allow-list, a non-loopback health port', () => {
    expect(badFlag([])).toMatch(/--kubeconfig: is required outside a pod/);
    expect(parseTriggerConfig(['--kubeconfig', 'k'], {})).toMatchObject({ allowTargets: [] });
    // The trigger's apiserver certificate once went to every target through these.
    expect(badFlag(['--kubeconfig', 'k', '--client-cert-file', 'c'])).toMatch(
      /--client-cert-file: is no longer accepted: the trigger presents no client certificate of its own[\s\S]*clientSecretRef/,
    );
    expect(badFlag(['--kubeconfig', 'k'], { CNPAAS_TRIGGER_CLIENT_KEY_FILE: 'k' })).toMatch(
      /--client-key-file: is no longer accepted/,
    );
    expect(badFlag(['--kubeconfig', 'k', '--allow-target', '127.0.0.1'])).toMatch(
      /--allow-target: "127\.0\.0\.1" is not host:port/,
    );
    expect(badFlag(['--kubeconfig', 'k', '--allow-target', 'https://fn:443/x'])).toMatch(
      /--allow-target: .* is not host:port/,
    );
    expect(badFlag(['--kubeconfig', 'k', '--listen-health', '0.0.0.0:8084'])).toMatch(/not a loopback address/);
    expect(badFlag(['--kubeconfig', 'k', '--cluster-trigger-namespaces', 'Bad_NS'])).toMatch(/not a namespace name/);
    expect(badFlag(['--kubeconfig', 'k', '--nope'])).toMatch(/CNPAAS_FUNCTIONS_BAD_FLAG/);
  });

  it('triggerComponent: a command its flag parser accepts, manifests that exist, an apiserver identity only', () => {
    const d = triggerComponent({
      port: 8084,
      kubeconfig: '/s/pki/cnpaas-trigger.kubeconfig',
      allowTargets: ['127.0.0.1:8443'],
      statusIntervalSeconds: 1,
    });
    const [node, bin, ...args] = d.command;
    expect(node).toBe(process.execPath);
    expect(bin).toBe(BIN);
    expect(parseTriggerConfig(args, {})).toMatchObject({
      healthPort: 8084,
      allowTargets: ['127.0.0.1:8443'],
      statusIntervalMs: 1_000,
      leaderElection: true,
    });
    expect(d.command.join(' ')).not.toMatch(/client-(cert|key)-file/);
    expect(d.name).toBe('trigger');
    expect(d.readyUrl).toBe('http://127.0.0.1:8084/readyz');
    expect(d.metricsUrl).toBe('http://127.0.0.1:8084/metrics');
    for (const f of [...d.manifests.beforeStart, ...d.manifests.afterReady]) expect(existsSync(f), f).toBe(true);
    expect(d.manifests.beforeStart.map((f) => f.split('/manifests/')[1])).toEqual([
      'crds/httptriggers.yaml',
      'trigger-rbac.yaml',
    ]);
    expect(d.manifests.afterReady.map((f) => f.split('/manifests/')[1])).toEqual([
      'email-trigger-delivery-secret.yaml',
      'email-trigger.yaml',
    ]);
    expect(d.certificates).toEqual([
      expect.objectContaining({ id: 'trigger-client', kind: 'client', commonName: 'cnpaas-trigger' }),
    ]);
    expect(triggerComponent({ port: 1, kubeconfig: 'k', leaderElection: false }).command).toContain(
      '--no-leader-election',
    );
  });

  it("triggerComponent with a class: a service's own instance, named and identified after it, applying only the CRD", () => {
    const d = triggerComponent({
      port: 18_084,
      kubeconfig: '/s/pki/shelf-keeper-trigger.kubeconfig',
      allowTargets: ['127.0.0.1:19443'],
      triggerClass: 'shelf-keeper',
    });
    expect(parseTriggerConfig(d.command.slice(2), {})).toMatchObject({
      healthPort: 18_084,
      allowTargets: ['127.0.0.1:19443'],
      triggerClass: 'shelf-keeper',
      leaderElection: true,
    });
    expect(d.name).toBe(triggerIdentity('shelf-keeper'));
    expect(d.name).toBe('shelf-keeper-trigger');
    // Not the demo's RBAC (User cnpaas-trigger) nor its HTTPTrigger: the service brings its own.
    expect(d.manifests.beforeStart.map((f) => f.split('/manifests/')[1])).toEqual(['crds/httptriggers.yaml']);
    expect(d.manifests.afterReady).toEqual([]);
    expect(d.certificates).toEqual([expect.objectContaining({ kind: 'client', commonName: 'shelf-keeper-trigger' })]);
  });
});

describe('cnpaas-trigger launcher', () => {
  it('says "not built" when dist is missing', () => {
    expect(runUnbuiltLauncher(BIN)).toEqual(notBuiltRun('cnpaas-trigger'));
  });

  it('built: --help exits 0, a configuration error exits 2 with a fix', () => {
    const env = { PATH: process.env['PATH'] ?? '' };
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', env, timeout: 20_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--allow-target');
    const bad = spawnSync(process.execPath, [BIN, '--kubeconfig', join(dir, 'missing.kubeconfig')], {
      encoding: 'utf8',
      env,
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/CNPAAS_FUNCTIONS_KUBECONFIG: cannot load kubeconfig .*missing\.kubeconfig[\s\S]*fix:/);
  });
});
