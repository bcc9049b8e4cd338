import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeServicePackage } from './test-support/service-package.js';
import { useTempDir } from './test-support/temp-dir.js';
import { DEFAULT_SERVICES, loadServices, wantedPorts } from './compositions.js';
import { webhookHosts } from './kind/kind-files.js';
import { allocatePorts } from './ports.js';

const WEBSHOP_DIR = fileURLToPath(new URL('../../webshop', import.meta.url));

describe('loading service compositions', () => {
  const tmp = useTempDir('cnpaas-services-');

  const fixture = (name: string, source: string): string => writeServicePackage(tmp.dir, name, source);

  it('runs the webshop by default, found by package name or by its directory', async () => {
    expect(DEFAULT_SERVICES).toEqual(['@cnpaas/webshop']);
    const [byName] = await loadServices(DEFAULT_SERVICES);
    expect(byName!.composition.name).toBe('webshop');
    expect(byName!.entry).toBe(path.join(WEBSHOP_DIR, 'dist', 'index.js'));
    expect(Object.keys(byName!.composition.ports)).toContain('console');
    const [byDir] = await loadServices([path.relative(process.cwd(), WEBSHOP_DIR)]);
    expect(byDir!.entry).toBe(byName!.entry);
  });

  it('collects every service’s ports with their fixed defaults', async () => {
    const extra = fixture(
      'extra',
      "export const service = { name: 'extra', ports: { extraHealth: 9900 }, components: async () => [] };",
    );
    const services = await loadServices(['@cnpaas/webshop', extra]);
    expect(wantedPorts(services)).toMatchObject({ console: 8090, extraHealth: 9900 });
    // Two defaults on one number cannot both bind: refused before anything starts (auto ports are free anyway).
    await expect(allocatePorts('fixed', { a: 9901, b: 9901 })).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_PORT_IN_USE',
      message: 'ports a and b both default to 9901',
    });
  });

  it('refuses a package it cannot find, one that exports no composition, and a port name taken', async () => {
    await expect(loadServices(['@cnpaas/no-such-service'])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: expect.stringContaining('cannot find package @cnpaas/no-such-service') as string,
    });
    const empty = fixture('empty', 'export const other = 1;');
    await expect(loadServices([empty])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: `${empty} exports no \`service\``,
    });
    const badPort = fixture(
      'bad-port',
      "export const service = { name: 'bad-port', ports: { x: 70000 }, components: async () => [] };",
    );
    await expect(loadServices([badPort])).rejects.toMatchObject({
      message: `${badPort}: service.ports.x is 70000, not a port number`,
    });
    const clash = fixture(
      'clash',
      "export const service = { name: 'clash', ports: { console: 9999 }, components: async () => [] };",
    );
    await expect(loadServices(['@cnpaas/webshop', clash])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: `${clash} declares port "console", which webshop already has`,
    });
    const apiserver = fixture(
      'apiserver',
      "export const service = { name: 'own', ports: { apiserver: 1 }, components: async () => [] };",
    );
    await expect(loadServices([apiserver])).rejects.toMatchObject({
      message: `${apiserver} declares port "apiserver", which the platform already has`,
    });
    // A cluster part (for cnpaas install) must name a directory of overlays and have its objects.
    const noDeploy = fixture(
      'no-deploy',
      "export const service = { name: 'no-deploy', ports: {}, components: async () => [], cluster: { deployDir: '/nonexistent/deploy', serving: [], objects: async () => [] } };",
    );
    await expect(loadServices([noDeploy])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: `${noDeploy}: service.cluster.deployDir "/nonexistent/deploy" is not a directory`,
    });
    // ... and the namespace its workloads go in, as Kubernetes would accept it.
    const badNamespace = fixture(
      'bad-namespace',
      `export const service = { name: 'bad-namespace', ports: {}, components: async () => [], cluster: { deployDir: ${JSON.stringify(tmp.dir)}, namespace: 'Shop_System', serving: [], objects: async () => [] } };`,
    );
    await expect(loadServices([badNamespace])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: `${badNamespace}: service.cluster.namespace "Shop_System" is not a namespace name`,
    });
  });

  it("loads the webshop's cluster part: deploy/ of this checkout", async () => {
    const [webshop] = await loadServices(DEFAULT_SERVICES);
    expect(webshop!.composition.cluster?.deployDir).toBe(fileURLToPath(new URL('../../../deploy/', import.meta.url)));
    // The namespace install uses and the webhook hosts kind-config names are the composition's, not the platform's.
    expect(webshop!.composition.cluster?.namespace).toBe('cnpaas-system');
    expect(webhookHosts([webshop!.composition.cluster!])).toEqual(['cnpaas-webhooks.cnpaas-system.svc']);
  });
});
