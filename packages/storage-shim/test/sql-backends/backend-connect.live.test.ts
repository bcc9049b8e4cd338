import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedStart } from '../support/processes.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * A backend that cannot be reached stops the store at start-up quickly and
 * says why: a host that does not resolve at once, a server that accepts the
 * connection but never answers after connectionPool.connectTimeout.
 */

describe('a backend whose host does not resolve', () => {
  for (const endpoint of ['postgres://store@db.nosuch.invalid/t', 'mysql://store@tcp(db.nosuch.invalid:3306)/t']) {
    it(`stops the store at once, naming the DNS failure: ${endpoint}`, async () => {
      const r = await refusedStart({ topology: tenantsTopology(endpoint) });
      expect(r.status).toBe(2);
      expect(r.output).toContain(
        `CNPAAS_STORE_BACKEND_CONNECT: ${endpoint}: cannot connect: the host name does not resolve`,
      );
      expect(r.output).toMatch(/ENOTFOUND|EAI_AGAIN/);
      // Not the 30 s a query waits for an answer.
      expect(r.ms).toBeLessThan(10_000);
    });
  }
});

describe('a server that accepts the connection and never answers', () => {
  let silent: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  for (const endpoint of ['postgres://store@127.0.0.1:PORT/t', 'mysql://store@tcp(127.0.0.1:PORT)/t']) {
    it(`stops the store after connectionPool.connectTimeout: ${endpoint}`, async () => {
      const ep = endpoint.replace('PORT', String(port));
      const r = await refusedStart({ topology: tenantsTopology(ep, '    connectionPool: { connectTimeout: 1s }\n') });
      expect(r.status).toBe(2);
      expect(r.output).toContain(`CNPAAS_STORE_BACKEND_CONNECT: ${ep}: cannot connect:`);
      expect(r.output).toMatch(/timed? ?out/i);
      expect(r.output).not.toContain('no answer from');
      expect(r.ms).toBeLessThan(10_000);
    });
  }
});
