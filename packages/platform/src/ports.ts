/**
 * Ports for the local stack. The platform's own three, plus the ones each
 * service's composition declares (by stack-wide name, with its default).
 * `fixed` uses the defaults (kubectl at https://127.0.0.1:6443, as kubeadm);
 * `auto` picks free ones below the kernel's ephemeral range, so tests, a
 * second stack and the stack's own outbound connections never take a port
 * before its server binds it. Loopback only.
 */
import { freePort, probePort } from '@cnpaas/service-kit';
import { PlatformError } from './errors.js';

export const PLATFORM_PORT_NAMES = ['apiserver', 'controllerManager', 'storeMetrics'] as const;
export type PlatformPortName = (typeof PLATFORM_PORT_NAMES)[number];
/** The platform's ports and every service's, by name. */
export type Ports = Record<PlatformPortName, number> & Record<string, number>;

export const FIXED_PORTS: Record<PlatformPortName, number> = {
  apiserver: 6443,
  controllerManager: 10257,
  storeMetrics: 2381,
};

/** A port free on 127.0.0.1 right now, outside the kernel's ephemeral range (see service-kit's free-port.ts). */
export { freePort };

/** `wanted`: the services' ports with their fixed defaults, already checked for clashes (see compositions.ts). */
export async function allocatePorts(mode: 'auto' | 'fixed', wanted: Record<string, number> = {}): Promise<Ports> {
  const ports: Ports = { ...FIXED_PORTS, ...wanted };
  if (mode === 'fixed') {
    const byNumber = new Map<number, string>();
    for (const [name, port] of Object.entries(ports)) {
      const other = byNumber.get(port);
      if (other) {
        throw new PlatformError('CNPAAS_PLATFORM_PORT_IN_USE', `ports ${other} and ${name} both default to ${port}`, {
          hint: "run cnpaas up --ports auto, or change one service's default",
        });
      }
      byNumber.set(port, name);
    }
  }
  for (const name of Object.keys(ports)) {
    if (mode === 'auto') {
      ports[name] = await freePort();
      continue;
    }
    await probePort(ports[name]!).catch((err: NodeJS.ErrnoException) => {
      throw new PlatformError(
        'CNPAAS_PLATFORM_PORT_IN_USE',
        `port ${ports[name]} (${name}) on 127.0.0.1 is not free: ${err.code ?? err.message}`,
        { hint: `stop what listens there (ss -ltnp 'sport = :${ports[name]}'), or run cnpaas up --ports auto` },
      );
    });
  }
  return ports;
}
