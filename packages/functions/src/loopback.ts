/**
 * Whether a listen address stays on this machine. Unauthenticated endpoints
 * (/healthz, /readyz, /metrics) and mail without AUTH or TLS are allowed only
 * there (docs/design.md "Security").
 */
import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
