import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './kubeconfig.js';
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
