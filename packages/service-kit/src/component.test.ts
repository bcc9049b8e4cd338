import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeProcess } from './component.js';

describe('nodeProcess', () => {
  it('runs the bin with this node and the flags in order, LOG_LEVEL first, the health routes on the base URL', () => {
    const bin = new URL('../bin/cnpaas-example.js', import.meta.url);
    const p = nodeProcess('example', {
      bin,
      args: ['--listen', '127.0.0.1:1', '--kubeconfig', '/kc'],
      baseUrl: 'https://127.0.0.1:1',
      env: { SMTP_PASSWORD_FILE: '/pw' },
    });
    expect(p).toEqual({
      name: 'example',
      command: [process.execPath, p.command[1], '--listen', '127.0.0.1:1', '--kubeconfig', '/kc'],
      env: { LOG_LEVEL: 'info', SMTP_PASSWORD_FILE: '/pw' },
      healthUrl: 'https://127.0.0.1:1/healthz',
      readyUrl: 'https://127.0.0.1:1/readyz',
      metricsUrl: 'https://127.0.0.1:1/metrics',
    });
    expect(p.command[1]).toMatch(/^\/.*\/service-kit\/bin\/cnpaas-example\.js$/);
    expect(existsSync(p.command[0]!)).toBe(true);
    expect(nodeProcess('x', { bin, args: [], baseUrl: 'http://h:2', logLevel: 'debug' }).env).toEqual({
      LOG_LEVEL: 'debug',
    });
  });
});
