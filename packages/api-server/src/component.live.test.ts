import { existsSync } from 'node:fs';
import path from 'node:path';
import { notBuiltRun, runUnbuiltLauncher } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { SERVICE_DNS_NAME } from './api-group.js';
import { API_SERVER_CLIENT_NAME, apiServerComponent } from './component.js';
import { parseConfig } from './config.js';

describe('component descriptor', () => {
  const descriptor = apiServerComponent({
    port: 18443,
    tlsCertFile: '/state/pki/api-server-serving.crt',
    tlsPrivateKeyFile: '/state/pki/api-server-serving.key',
    requestheaderClientCaFile: '/state/pki/front-proxy-ca.crt',
    kubeconfig: '/state/pki/cnpaas-api-server.kubeconfig',
    registrationTimeoutSeconds: 20,
  });

  it('gives a command its own flag parser accepts', () => {
    const [node, bin, ...args] = descriptor.command;
    expect(node).toBe(process.execPath);
    expect(bin).toMatch(/bin\/cnpaas-api-server\.js$/);
    expect(existsSync(bin!)).toBe(true);
    expect(parseConfig(args, {})).toMatchObject({
      host: '127.0.0.1',
      port: 18443,
      requestheaderClientCaFile: '/state/pki/front-proxy-ca.crt',
      requestheaderAllowedNames: ['front-proxy-client'],
      kubeconfig: '/state/pki/cnpaas-api-server.kubeconfig',
      registrationTimeoutMs: 20_000,
    });
  });

  it('names https health URLs on loopback, manifests that exist in order, and the certificates to issue', () => {
    expect(descriptor.healthUrl).toBe('https://127.0.0.1:18443/healthz');
    expect(descriptor.readyUrl).toBe('https://127.0.0.1:18443/readyz');
    expect(descriptor.metricsUrl).toBe('https://127.0.0.1:18443/metrics');
    expect(descriptor.manifests.beforeStart.map((f) => path.basename(f))).toEqual([
      'rbac.yaml',
      'registrant-clusterrole.yaml',
    ]);
    expect(descriptor.manifests.afterReady.map((f) => path.basename(f))).toEqual(['service.yaml', 'apiservice.yaml']);
    for (const file of [...descriptor.manifests.beforeStart, ...descriptor.manifests.afterReady])
      expect(existsSync(file), file).toBe(true);
    expect(descriptor.certificates.find((c) => c.kind === 'serving')).toMatchObject({
      dnsNames: [SERVICE_DNS_NAME, 'localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    expect(SERVICE_DNS_NAME).toBe('cnpaas-api.cnpaas-system.svc');
    expect(descriptor.certificates.find((c) => c.kind === 'client')?.commonName).toBe(API_SERVER_CLIENT_NAME);
    expect(descriptor.certificates.find((c) => c.kind === 'ca')?.id).toBe('front-proxy-ca');
  });
});

describe('bin launcher', () => {
  it('says "not built" and exits 1 when dist is missing', () => {
    expect(runUnbuiltLauncher(new URL('../bin/cnpaas-api-server.js', import.meta.url))).toEqual(
      notBuiltRun('cnpaas-api-server'),
    );
  });
});
