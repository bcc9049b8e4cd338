import type { MtlsComponentOptions } from '../mtls-serving.js';

/**
 * What the platform passes the descriptor of a server with client
 * certificates, for a test of the command the descriptor makes: a port, and
 * the four files named after the component under a state dir. The files need
 * not exist: a flag parser takes the paths as they are.
 */
export function testMtlsComponentOptions(name: string, port: number): MtlsComponentOptions {
  return {
    port,
    certFile: `/state/pki/${name}.crt`,
    keyFile: `/state/pki/${name}.key`,
    clientCaFile: `/state/pki/${name}-client-ca.crt`,
    kubeconfig: `/state/pki/${name}.kubeconfig`,
  };
}
