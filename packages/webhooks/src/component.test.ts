import { existsSync } from 'node:fs';
import { testMtlsComponentOptions } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { APISERVER_WEBHOOK_CLIENT_NAME, webhooksComponent } from './component.js';
import { parseConfig } from './config.js';

describe('component descriptor', () => {
  const options = testMtlsComponentOptions('webhooks', 9443);
  const descriptor = webhooksComponent(options);

  it("gives a command the webhooks' own flag parser accepts", () => {
    const [node, bin, ...args] = descriptor.command;
    expect(node).toBe(process.execPath);
    expect(bin).toMatch(/bin\/cnpaas-webhooks\.js$/);
    expect(existsSync(bin!)).toBe(true);
    expect(parseConfig(args, {})).toMatchObject({ ...options, allowedClientNames: [APISERVER_WEBHOOK_CLIENT_NAME] });
  });

  it('names health URLs, manifests that exist, and the certificates to issue', () => {
    expect(descriptor.healthUrl).toBe('https://127.0.0.1:9443/healthz');
    expect(descriptor.readyUrl).toBe('https://127.0.0.1:9443/readyz');
    for (const file of [...descriptor.manifests.beforeStart, ...descriptor.manifests.afterReady])
      expect(existsSync(file), file).toBe(true);
    expect(descriptor.certificates.find((c) => c.kind === 'serving')).toMatchObject({
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    expect(descriptor.certificates.map((c) => c.commonName)).toContain('cnpaas-webhooks');
  });
});
