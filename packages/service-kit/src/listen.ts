/** Binding a server to its address, and the URL it then answers on. */
import type { Server } from 'node:net';
import { hostPort } from './address.js';
import { errorMessage, type ErrorFactory } from './errors.js';

export interface ListenOrExplainOptions {
  host: string;
  port: number;
  /** The flag that chose the address, without dashes, for the hint. */
  flag: string;
  error: ErrorFactory<'LISTEN'>;
}

/** Runs `listen` (fastify's, or a node:http server's); a taken port or a foreign address becomes a LISTEN error that says what to do. */
export async function listenOrExplain(listen: () => Promise<unknown>, options: ListenOrExplainOptions): Promise<void> {
  try {
    await listen();
  } catch (err) {
    throw options.error('LISTEN', `cannot listen on ${options.host}:${options.port}: ${errorMessage(err)}`, {
      hint: `pick a free port with --${options.flag} HOST:PORT, or stop the process that holds it`,
      cause: err,
    });
  }
}

/** The base URL of a listening server, e.g. https://127.0.0.1:9443 or http://[::1]:8081. */
export function serverUrl(server: Server, scheme: 'http' | 'https'): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return `${scheme}://${hostPort(address.address, address.port)}`;
}
