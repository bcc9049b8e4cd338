/**
 * Loopback ports for servers that start a moment after the port is chosen
 * (a child process, a stack of them). Chosen below the kernel's ephemeral
 * range on purpose: a port from `listen(0)` lies inside that range, and
 * until the server binds it any outbound connection on the machine may be
 * given it as its local port, and the server then fails with EADDRINUSE.
 * Ports below the range are never handed out for outbound connections, so
 * only another program that picks ports the same way can race us, and this
 * process never hands the same port out twice.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where the search starts: clear of the well-known and registered ports most local tools use. */
const LOWEST = 15_000;
/** Linux's default start of the ephemeral range, and below macOS's (49152). */
const DEFAULT_EPHEMERAL_LOW = 32_768;
const ATTEMPTS = 64;

const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux reads /proc; elsewhere the Linux default, which is lower). */
export function ephemeralPortLow(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): number {
  try {
    const low = Number(read().trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

/** Binds `port` on `host` exclusively and lets it go; resolves the port actually bound. */
export function probePort(port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A port on `host` that is free now and outside the ephemeral range. When
 * the range starts too low to leave room below it, falls back to a port the
 * kernel picks.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const high = ephemeralPortLow();
  if (high - LOWEST >= 1_000) {
    for (let i = 0; i < ATTEMPTS; i += 1) {
      const port = randomInt(LOWEST, high);
      if (handedOut.has(port)) continue;
      const free = await probePort(port, host).then(
        () => true,
        () => false,
      );
      if (!free) continue;
      handedOut.add(port);
      return port;
    }
  }
  const port = await probePort(0, host);
  handedOut.add(port);
  return port;
}
