import { describe, expect, it } from 'vitest';
import { hostPort, parseHostPort } from './address.js';

describe('HOST:PORT', () => {
  it.each([
    ['127.0.0.1:9443', { host: '127.0.0.1', port: 9443 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    [' 10.0.0.1:65535 ', { host: '10.0.0.1', port: 65535 }],
  ])('parses %j', (text, address) => {
    expect(parseHostPort(text)).toEqual(address);
    expect(hostPort(address.host, address.port)).toBe(text.trim());
  });

  it.each(['9443', 'localhost', 'localhost:65536', '::1:8081', '[::1]', 'host:port', ''])('refuses %j', (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });
});
