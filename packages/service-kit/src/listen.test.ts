import http from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOrExplain, serverUrl } from './listen.js';
import { caught, testError as error } from './test-support.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function listening(host: string): Promise<http.Server> {
  const server = http.createServer();
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

describe('serverUrl', () => {
  it('gives the bound address, IPv6 in brackets', async () => {
    const v4 = await listening('127.0.0.1');
    expect(serverUrl(v4, 'https')).toBe(`https://127.0.0.1:${(v4.address() as { port: number }).port}`);
    const v6 = await listening('::1');
    expect(serverUrl(v6, 'http')).toBe(`http://[::1]:${(v6.address() as { port: number }).port}`);
  });

  it('refuses a server that is not listening on TCP', () => {
    expect(() => serverUrl(http.createServer(), 'http')).toThrow(/not listening on a TCP port/);
  });
});

describe('listenOrExplain', () => {
  it('says which address is taken and which flag picks another', async () => {
    const port = ((await listening('127.0.0.1')).address() as { port: number }).port;
    const second = http.createServer();
    const err = await caught(() =>
      listenOrExplain(
        () =>
          new Promise<void>((resolve, reject) => {
            second.once('error', reject);
            second.listen(port, '127.0.0.1', resolve);
          }),
        { host: '127.0.0.1', port, flag: 'listen-health', error },
      ),
    );
    expect(err.code).toBe('TEST_LISTEN');
    expect(err.message).toMatch(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    expect(err.hint).toBe('pick a free port with --listen-health HOST:PORT, or stop the process that holds it');
    expect(err.cause).toBeInstanceOf(Error);
  });
});
