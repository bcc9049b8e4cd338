import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortLow, freePort, probePort } from './free-port.js';

describe('freePort', () => {
  it('picks ports below the ephemeral range, never the same one twice', async () => {
    const low = ephemeralPortLow();
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(low);
  });

  it('hands out a port a server can bind at once', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
    });
    await expect(probePort(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('ephemeralPortLow', () => {
  it('reads the first number of ip_local_port_range', () => {
    expect(ephemeralPortLow(() => '40000\t60999\n')).toBe(40000);
  });
  it('falls back to the Linux default when the file is missing or odd', () => {
    expect(
      ephemeralPortLow(() => {
        throw new Error('ENOENT');
      }),
    ).toBe(32768);
    expect(ephemeralPortLow(() => 'garbage')).toBe(32768);
    expect(ephemeralPortLow(() => '80 90')).toBe(32768);
  });
});
