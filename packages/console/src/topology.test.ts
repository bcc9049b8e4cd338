import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { storageKey, EMAILS, TENANTS, USERS } from './resources.js';
import { loadBackendMap } from './topology.js';

const DEMO = fileURLToPath(new URL('../../webshop/topologies/demo.yaml', import.meta.url));

describe('the store’s topology', () => {
  it('gives the demo topology’s backends, main first, and routes each webshop key as the store does', () => {
    const map = loadBackendMap(DEMO);
    expect(map.names).toEqual(['main', 'tenants', 'users', 'emails']);
    expect(map.backendFor(storageKey(TENANTS, { name: 't-1' }))).toBe('tenants');
    expect(map.backendFor(storageKey(USERS, { namespace: 't-1', name: 't-1' }))).toBe('users');
    expect(map.backendFor(storageKey(EMAILS, { namespace: 't-1', name: 't-1-welcome' }))).toBe('emails');
    expect(map.backendFor('/registry/webshop.cnpaas.dev/registrationrequests/r1')).toBe('main');
  });

  it('refuses a file that is not a topology with CNPAAS_CONSOLE_TOPOLOGY', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cnp-console-topo-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      writeFileSync(file, 'backends: 7\n');
      expect(() => loadBackendMap(file)).toThrow(expect.objectContaining({ code: 'CNPAAS_CONSOLE_TOPOLOGY' }));
      expect(() => loadBackendMap(path.join(dir, 'missing.yaml'))).toThrow(
        expect.objectContaining({ code: 'CNPAAS_CONSOLE_TOPOLOGY' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
