/**
 * The registration demo once more, on examples/topologies/mixed.yaml: tenants
 * in PostgreSQL, users in MariaDB, emails in a SQLite file, the rest in
 * main.db. `npm run demo -- --topology examples/topologies/mixed.yaml` is
 * this run on the file's own ports; here the two servers get free ports, so
 * the file is copied with those ports and nothing else changed. The demo's
 * own tests run unchanged on it (they find each object by backend name), and
 * the routing test reads the tenant from PostgreSQL and the user from MariaDB.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@cnpaas/service-kit';
import { mariadbMissing, postgresMissing } from '@cnpaas/storage-shim/testing';
import { describe, it } from 'vitest';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/topologies/mixed.yaml');
const missing = postgresMissing() ?? mariadbMissing();

if (missing) {
  console.warn(`skipping the demo on the mixed topology: ${missing}`);
  describe('the cnpaas registration demo on PostgreSQL, MariaDB and SQLite', () => {
    it.skip(`needs PostgreSQL and MariaDB: ${missing}`, () => {});
  });
} else {
  const text = readFileSync(EXAMPLE, 'utf8');
  for (const port of ['15432', '13306']) {
    if (!text.includes(`127.0.0.1:${port}/`)) throw new Error(`${EXAMPLE} no longer names 127.0.0.1:${port}`);
  }
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'cnpaas-mixed-')), 'mixed.yaml');
  writeFileSync(
    copy,
    text
      .replace('127.0.0.1:15432/', `127.0.0.1:${await freePort()}/`)
      .replace('127.0.0.1:13306/', `127.0.0.1:${await freePort()}/`),
  );
  process.env.CNPAAS_E2E_TOPOLOGY = copy;
  // The demo's describe block, registered in this file, on this topology.
  await import('./demo.live.test.js');
}
