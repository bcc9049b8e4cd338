/**
 * The console's parts, put together one way for the process (run.ts) and for
 * the tests (test-support.ts): the data fabric, the registration history
 * that follows it, and the server on both. The history follows the fabric
 * before the fabric starts, so it sees every RegistrationRequest the fabric
 * sees; the caller starts the fabric.
 */
import { Fabric, type FabricOptions } from './fabric.js';
import { RegistrationHistory } from './registration-history.js';
import { ConsoleServer, type ConsoleServerOptions } from './server.js';

export interface AssembleConsoleOptions extends Omit<ConsoleServerOptions, 'fabric' | 'history'> {
  /** The fabric's own options; it shares the server's kube and log. */
  fabric: Omit<FabricOptions, 'kube' | 'log'>;
}

export interface ConsoleParts {
  fabric: Fabric;
  history: RegistrationHistory;
  server: ConsoleServer;
}

export function assembleConsole(options: AssembleConsoleOptions): ConsoleParts {
  const { fabric: fabricOptions, ...serverOptions } = options;
  const fabric = new Fabric({ ...fabricOptions, kube: options.kube, log: options.log });
  const history = new RegistrationHistory();
  history.follow(fabric);
  const server = new ConsoleServer({ ...serverOptions, fabric, history });
  return { fabric, history, server };
}
