import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface ServerProcessOptions {
  /** The server's name in the error when it does not start. */
  name: string;
  /** The argv that runs it (from ServerDir.run). */
  argv: [string, string[]];
  /** Its temp dir: the working directory, removed by stop(). */
  dir: string;
  /** The signal of a clean shutdown that keeps the data. */
  stopSignal: NodeJS.Signals;
  /** Resolves once the server takes logins; rejects while it does not yet. */
  ready: () => Promise<void>;
}

/** A throw-away database server process that can be stopped and started again on its data dir. */
export interface ServerProcess {
  /** Starts the server and waits (up to 30 s) until it takes logins; if it never does, stops it and throws. */
  launch: () => Promise<void>;
  /** A clean shutdown with `stopSignal`: every session ends, the data stays. */
  shutdown: () => Promise<void>;
  /** shutdown(), then the temp dir is removed. */
  stop: () => Promise<void>;
}

export function serverProcess(options: ServerProcessOptions): ServerProcess {
  const [cmd, args] = options.argv;
  let log = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const shutdown = async () => {
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, options.stopSignal);
      await exited;
    }
  };
  const stop = async () => {
    await shutdown();
    rmSync(options.dir, { recursive: true, force: true });
  };
  const launch = async () => {
    const running = spawn(cmd, args, { cwd: options.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child = running;
    running.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await options.ready();
        return;
      } catch (err) {
        if (running.exitCode !== null || Date.now() > deadline) {
          await stop();
          throw new Error(`${options.name} did not start: ${(err as Error).message}\n${log}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  return { launch, shutdown, stop };
}
