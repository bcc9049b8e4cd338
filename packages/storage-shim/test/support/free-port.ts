/** Ports for servers a test starts as child processes: one picker for every package (service-kit's free-port.ts says why it avoids the ephemeral range). */
export { freePort } from '@cnpaas/service-kit';
