/**
 * Ports for the local stack. `fixed` uses well-known defaults (kubectl at
 * https://127.0.0.1:6443, as kubeadm); `auto` asks the kernel for free ones,
 * so tests and a second stack never collide. Loopback only.
 */
import { createServer } from 'node:net';
import { PlatformError } from './errors.js';

export const PORT_NAMES = [
  'apiserver',
  'controllerManager',
  'storeMetrics',
  'webhooks',
  'operator',
  'apiServer',
  'smtp',
  'smtpHealth',
  'emailFunction',
  'trigger',
] as const;
export type PortName = (typeof PORT_NAMES)[number];
export type Ports = Record<PortName, number>;

export const FIXED_PORTS: Ports = {
  apiserver: 6443,
  controllerManager: 10257,
  storeMetrics: 2381,
  webhooks: 9443,
  operator: 8081,
  apiServer: 8444,
  smtp: 2525,
  smtpHealth: 8025,
  emailFunction: 8443,
  trigger: 8084,
};

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

export async function allocatePorts(mode: 'auto' | 'fixed'): Promise<Ports> {
  const ports = { ...FIXED_PORTS };
  for (const name of PORT_NAMES) {
    if (mode === 'auto') {
      ports[name] = await listenOnce(0);
      continue;
    }
    await listenOnce(ports[name]).catch((err: NodeJS.ErrnoException) => {
      throw new PlatformError(
        'CNPAAS_PLATFORM_PORT_IN_USE',
        `port ${ports[name]} (${name}) on 127.0.0.1 is not free: ${err.code ?? err.message}`,
        `stop what listens there (ss -ltnp 'sport = :${ports[name]}'), or run cnpaas up --ports auto`,
      );
    });
  }
  return ports;
}
