/** HOST:PORT parsing shared by both command lines. */
import { isIP } from 'node:net';
import { FunctionsError } from './errors.js';

/** "127.0.0.1:2525", "localhost:2525", "[::1]:2525"; port 0 picks a free one. */
export function parseListen(text: string, flag: string, example: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', `--${flag}: "${text}" is not HOST:PORT`, {
      hint: `e.g. --${flag} ${example} (port 0 picks a free one; IPv6 as [::1]:${example.split(':').pop()})`,
    });
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** https://127.0.0.1:8443 / http://[::1]:2526 */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
