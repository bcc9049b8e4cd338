import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadKubeConfig, POD_ROOT_ENV } from './kubeconfig.js';
import { caught, testError as error } from './test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-service-kit-kubeconfig-'));
const savedKubeconfig = process.env['KUBECONFIG'];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
  else process.env['KUBECONFIG'] = savedKubeconfig;
});

function kubeconfig(name: string, options: { cluster?: string; user?: string; currentContext?: boolean }): string {
  const file = join(dir, name);
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (options.cluster)
    lines.push(`clusters: [{name: ${options.cluster}, cluster: {server: "https://127.0.0.1:6443"}}]`);
  if (options.user)
    lines.push(
      `users: [{name: ${options.user}, user: {}}]`,
      `contexts: [{name: local, context: {cluster: local, user: ${options.user}}}]`,
    );
  if (options.currentContext) lines.push('current-context: local');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const options = { hint: "pass --kubeconfig with the test's kubeconfig", error };

describe('loadKubeConfig', () => {
  it("in a pod: the service host and port, and the account's files under the pod root", () => {
    const root = join(dir, 'pod');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'namespace'), 'cnpaas-system');
    const saved = { ...process.env };
    Object.assign(process.env, {
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      [POD_ROOT_ENV]: root,
    });
    try {
      const kc = loadKubeConfig({ kubeconfig: undefined, inCluster: true }, options);
      expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://10.0.0.1:443', caFile: join(sa, 'ca.crt') });
      expect(kc.getCurrentUser()?.authProvider?.config).toEqual({ tokenFile: join(sa, 'token') });
      expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('cnpaas-system');
    } finally {
      for (const key of ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', POD_ROOT_ENV]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('loads a file with a current cluster', () => {
    const file = kubeconfig('good', { cluster: 'local', user: 'cnpaas-test', currentContext: true });
    const kc = loadKubeConfig({ kubeconfig: file, inCluster: false }, options);
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(kc.getCurrentUser()?.name).toBe('cnpaas-test');
  });

  it('merges a KUBECONFIG-style list like kubectl', () => {
    const clusters = kubeconfig('clusters', { cluster: 'local' });
    const users = kubeconfig('users', { user: 'cnpaas-test', currentContext: true });
    const kc = loadKubeConfig({ kubeconfig: `${users}${delimiter}${clusters}`, inCluster: false }, options);
    expect([kc.getCurrentCluster()?.server, kc.getCurrentUser()?.name]).toEqual([
      'https://127.0.0.1:6443',
      'cnpaas-test',
    ]);
  });

  it('says which file it cannot load, and what to pass instead', async () => {
    const file = join(dir, 'missing');
    const err = await caught(() => loadKubeConfig({ kubeconfig: file, inCluster: false }, options));
    expect([err.code, err.hint]).toEqual(['TEST_KUBECONFIG', options.hint]);
    expect(err.message).toMatch(new RegExp(`^cannot load kubeconfig ${file}: ENOENT`));
  });

  it('refuses a kubeconfig without a current cluster', async () => {
    const file = kubeconfig('no-context', { cluster: 'local', user: 'cnpaas-test' });
    const err = await caught(() => loadKubeConfig({ kubeconfig: file, inCluster: false }, options));
    expect([err.code, err.message, err.hint]).toEqual([
      'TEST_KUBECONFIG',
      `kubeconfig ${file} has no current cluster`,
      'set current-context in it',
    ]);
  });
});
