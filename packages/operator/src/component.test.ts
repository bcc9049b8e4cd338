import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { operatorComponent } from './component.js';

describe('operatorComponent', () => {
  const c = operatorComponent({ port: 8081, kubeconfig: '/state/operator.kubeconfig' });

  it('runs the committed launcher with the kubeconfig and a loopback health port', () => {
    expect(c.name).toBe('operator');
    expect(c.command[0]).toBe(process.execPath);
    expect(c.command[1]).toMatch(/bin\/cnpaas-operator\.js$/);
    expect(existsSync(c.command[1]!)).toBe(true);
    expect(c.command.slice(2)).toEqual([
      '--kubeconfig',
      '/state/operator.kubeconfig',
      '--listen-health',
      '127.0.0.1:8081',
    ]);
    expect([c.healthUrl, c.readyUrl, c.metricsUrl]).toEqual([
      'http://127.0.0.1:8081/healthz',
      'http://127.0.0.1:8081/readyz',
      'http://127.0.0.1:8081/metrics',
    ]);
  });

  it('applies namespace, CRDs, RBAC, the confinement policy and template before start, all existing files', () => {
    expect(c.manifests.afterReady).toEqual([]);
    expect(c.manifests.beforeStart).toHaveLength(9);
    // The policy that confines the operator is in force before the operator's first request.
    expect(c.manifests.beforeStart.some((f) => f.endsWith('confinement-policy.yaml'))).toBe(true);
    for (const file of c.manifests.beforeStart) expect(existsSync(file), file).toBe(true);
  });

  it('needs one client certificate, CN cnpaas-operator', () => {
    expect(c.certificates).toEqual([expect.objectContaining({ kind: 'client', commonName: 'cnpaas-operator' })]);
  });

  it('passes IPv6 hosts bracketed and the claim grace when given', () => {
    const v6 = operatorComponent({ host: '::1', port: 9, kubeconfig: 'k', claimGraceSeconds: 30 });
    expect(v6.healthUrl).toBe('http://[::1]:9/healthz');
    expect(v6.command.slice(-4)).toEqual(['--listen-health', '[::1]:9', '--claim-grace-seconds', '30']);
  });
});
