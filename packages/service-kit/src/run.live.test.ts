/**
 * The signal loop needs a real process: each test runs a small program on
 * the built kit (the test target depends on the build) and signals it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const KIT = new URL('../dist/index.js', import.meta.url).href;

interface Run {
  /** Resolves once stdout has a line with this `msg`. */
  logged(msg: string): Promise<void>;
  signal(name: NodeJS.Signals): void;
  exit: Promise<{ code: number | null; lines: Array<Record<string, unknown>> }>;
}

/** Runs `body` with `runUntilStopped` and `log` in scope; it prints "ready" once the loop is set up. */
function program(body: string): Run {
  const source = `
    import { createServiceLogger, runUntilStopped } from '${KIT}';
    const log = createServiceLogger({ component: 'cnpaas-test', level: 'info' });
    setInterval(() => {}, 60_000); // stands in for a listening server, which keeps a real process alive
    setTimeout(() => log.info('ready'), 50);
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  const lines = (): Array<Record<string, unknown>> =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return {
    logged: (msg) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" line; stdout so far:\n${stdout}`)), 10_000);
        const check = (): void => {
          if (!lines().some((line) => line['msg'] === msg)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      }),
    signal: (name) => child.kill(name),
    exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines: lines() }))),
  };
}

/**
 * The messages logged, in order. The kit's logger writes synchronously, so
 * the last line logged before process.exit is there, and last: with pino's
 * background writes, "closed" and "stopped", logged back to back, often
 * landed the other way round or not at all.
 */
const messages = (lines: Array<Record<string, unknown>>): unknown[] =>
  lines.map((l) => l['msg']).filter((m) => m !== 'ready');

describe('runUntilStopped', () => {
  it('closes on SIGTERM and exits 0', async () => {
    const run = program(`await runUntilStopped({ log, close: async () => log.info('closed') });`);
    await run.logged('ready');
    run.signal('SIGTERM');
    const { code, lines } = await run.exit;
    expect(code).toBe(0);
    expect(messages(lines)).toEqual(['stopping', 'closed', 'stopped']);
    expect(lines.find((l) => l['msg'] === 'stopping')).toMatchObject({ signal: 'SIGTERM', component: 'cnpaas-test' });
  });

  it('passes the stop signal to the work, and closes after it wound down', async () => {
    const run = program(`
      let workDone = false;
      await runUntilStopped({
        log,
        run: (stop) => new Promise((resolve) => stop.addEventListener('abort', () => { workDone = true; resolve(); })),
        close: async () => log.info({ workDone }, 'closed'),
      });
    `);
    await run.logged('ready');
    run.signal('SIGINT');
    const { code, lines } = await run.exit;
    expect(code).toBe(0);
    expect(messages(lines)).toEqual(['stopping', 'closed', 'stopped']);
    expect(lines.find((l) => l['msg'] === 'closed')).toMatchObject({ workDone: true });
  });

  it('exits 1 when the work fails, after closing', async () => {
    const run = program(`
      await runUntilStopped({ log, run: async () => { throw new Error('lost the Lease'); }, close: async () => log.info('closed') });
    `);
    const { code, lines } = await run.exit;
    expect(code).toBe(1);
    expect(messages(lines)).toEqual(['failed; exiting so the supervisor restarts it', 'closed']);
    expect(lines.find((l) => l['level'] === 50)).toMatchObject({ err: 'lost the Lease' });
  });

  it('exits 1 when closing fails', async () => {
    const run = program(`await runUntilStopped({ log, close: async () => { throw new Error('busy'); } });`);
    await run.logged('ready');
    run.signal('SIGTERM');
    const { code, lines } = await run.exit;
    expect(code).toBe(1);
    expect(messages(lines)).toEqual(['stopping', 'stop failed']);
  });

  it('reloads on SIGHUP, and keeps running when the reload fails', async () => {
    const run = program(`
      let reloads = 0;
      await runUntilStopped({ log, reload: () => { if (++reloads > 1) throw new Error('cannot read --cert-file'); } });
    `);
    await run.logged('ready');
    run.signal('SIGHUP');
    await run.logged('certificates reloaded');
    run.signal('SIGHUP');
    await run.logged('certificate reload failed; keeping the current certificates');
    run.signal('SIGTERM');
    const { code, lines } = await run.exit;
    expect(code).toBe(0);
    expect(messages(lines)).toEqual([
      'certificates reloaded',
      'certificate reload failed; keeping the current certificates',
      'stopping',
      'stopped',
    ]);
    expect(lines.find((l) => l['level'] === 50)).toMatchObject({ err: 'cannot read --cert-file' });
  });
});
