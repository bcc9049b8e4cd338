import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST, DEFAULT_PORT, parseConfig } from './config.js';

const TOKEN = 'a-console-token-of-enough-length';

describe('parseConfig: where to listen', () => {
  it('defaults to loopback on the default port', () => {
    expect(parseConfig(['--kubeconfig', '/k'], {})).toMatchObject({ host: DEFAULT_HOST, port: DEFAULT_PORT });
  });

  it('takes --listen HOST:PORT, as the other cnpaas servers do, with the same token rule', () => {
    expect(
      parseConfig(['--listen', '0.0.0.0:8091', '--kubeconfig', '/k'], { CNPAAS_CONSOLE_TOKEN: TOKEN }),
    ).toMatchObject({ host: '0.0.0.0', port: 8091, token: TOKEN });
    expect(parseConfig(['--listen', '[::1]:0', '--kubeconfig', '/k'], {})).toMatchObject({ host: '::1', port: 0 });
    expect(() => parseConfig(['--listen', '0.0.0.0:8091', '--kubeconfig', '/k'], {})).toThrow(
      expect.objectContaining({ code: 'CNPAAS_CONSOLE_TOKEN_REQUIRED' }),
    );
  });

  it('refuses --listen with --host or --port, and an address without a port', () => {
    expect(() => parseConfig(['--listen', '127.0.0.1:8090', '--port', '1', '--kubeconfig', '/k'], {})).toThrow(
      /--listen: was given with --host or --port/,
    );
    expect(() => parseConfig(['--listen', '127.0.0.1', '--kubeconfig', '/k'], {})).toThrow(/--listen/);
  });
});
