/**
 * Ports for the local stack. `fixed` uses well-known defaults (kubectl at
 * https://127.0.0.1:6443, as kubeadm); `auto` picks free ones below the
 * kernel's ephemeral range, so tests, a second stack and the stack's own
 * outbound connections never take a port before its server binds it. Loopback only.
 */
import { freePort, probePort } from '@cnpaas/service-kit';
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
  'console',
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
  console: 8090,
};

/** A port free on 127.0.0.1 right now, outside the kernel's ephemeral range (see service-kit's free-port.ts). */
export { freePort };

export async function allocatePorts(mode: 'auto' | 'fixed'): Promise<Ports> {
  const ports = { ...FIXED_PORTS };
  for (const name of PORT_NAMES) {
    if (mode === 'auto') {
      ports[name] = await freePort();
      continue;
    }
    await probePort(ports[name]).catch((err: NodeJS.ErrnoException) => {
      throw new PlatformError(
        'CNPAAS_PLATFORM_PORT_IN_USE',
        `port ${ports[name]} (${name}) on 127.0.0.1 is not free: ${err.code ?? err.message}`,
        `stop what listens there (ss -ltnp 'sport = :${ports[name]}'), or run cnpaas up --ports auto`,
      );
    });
  }
  return ports;
}
