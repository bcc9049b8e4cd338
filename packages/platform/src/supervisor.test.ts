import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessSpec } from './control-plane.js';
import { freePort } from './ports.js';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';
import { isOurProcess } from './processes.js';
import { Supervisor, type SupervisorEvent } from './supervisor.js';

// A real child process: an HTTP server that answers /readyz after `delay` ms and
// writes its name to a shared file when it gets SIGTERM (to see the stop order).
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const [port, delay, name, orderFile] = process.argv.slice(1);
const started = Date.now();
http.createServer((req, res) => { res.statusCode = Date.now() - started >= Number(delay) ? 200 : 503; res.end(); })
  .listen(Number(port), '127.0.0.1', () => console.log(name + ' listening'));
process.on('SIGTERM', () => { fs.appendFileSync(orderFile, name + '\\n'); process.exit(0); });
`;

describe('Supervisor', () => {
  let dir: string;
  let supervisor: Supervisor | null;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-sup-'));
    supervisor = null;
  });
  afterEach(async () => {
    await supervisor?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function spec(name: string, delay = 0): Promise<ProcessSpec> {
    const port = await freePort();
    return {
      name,
      command: [process.execPath, '-e', SERVER, String(port), String(delay), name, path.join(dir, 'order')],
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      readyTimeoutMs: 10_000,
    };
  }

  it('starts in order, each after the one before is ready, logs to files, stops in reverse', async () => {
    const events: SupervisorEvent[] = [];
    supervisor = new Supervisor({
      specs: [await spec('a', 300), await spec('b'), await spec('c')],
      logsDir: dir,
      onEvent: (e) => events.push(e),
    });
    await supervisor.start();
    expect(events.filter((e) => e.type !== 'ready').map((e) => `${e.type}:${e.name}`)).toEqual([
      'starting:a',
      'starting:b',
      'starting:c',
    ]);
    expect(events.findIndex((e) => e.type === 'ready' && e.name === 'a')).toBeLessThan(
      events.findIndex((e) => e.type === 'starting' && e.name === 'b'),
    );
    expect(supervisor.components().map((c) => c.phase)).toEqual(['ready', 'ready', 'ready']);
    expect(readFileSync(path.join(dir, 'b.log'), 'utf8')).toContain('b listening');
    await supervisor.stop();
    expect(readFileSync(path.join(dir, 'order'), 'utf8')).toBe('c\nb\na\n');
    expect(supervisor.components().map((c) => c.phase)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('restarts a crashed component with a new pid', async () => {
    const events: SupervisorEvent[] = [];
    supervisor = new Supervisor({
      specs: [await spec('a')],
      logsDir: dir,
      restartBaseMs: 50,
      onEvent: (e) => events.push(e),
    });
    await supervisor.start();
    const first = supervisor.components()[0]!.pid!;
    process.kill(first, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && events.filter((e) => e.type === 'ready').length < 2) await sleep(50);
    expect(events.map((e) => e.type)).toEqual(['starting', 'ready', 'exited', 'ready']);
    expect(events[2]).toMatchObject({ signal: 'SIGKILL', restartInMs: 50 });
    const second = supervisor.components()[0]!;
    expect(second).toMatchObject({ phase: 'ready', restarts: 1 });
    expect(second.pid).not.toBe(first);
    expect(isOurProcess(second.pid, '-e')).toBe(true);
    // Recorded at spawn, so `cnpaas down` can tell this pid from a later process that reuses it.
    if (process.platform === 'linux') expect(second.startTicks).toBe(processStartTicks(second.pid));
  });

  it('fails start with the log tail when a component exits, and stops what it started', async () => {
    const events: SupervisorEvent[] = [];
    const broken: ProcessSpec = {
      name: 'broken',
      command: [process.execPath, '-e', 'console.error("bad flag --frobnicate"); process.exit(3)'],
      readyUrl: `http://127.0.0.1:${await freePort()}/readyz`,
      readyTimeoutMs: 10_000,
    };
    const a = await spec('a');
    supervisor = new Supervisor({ specs: [a, broken], logsDir: dir, onEvent: (e) => events.push(e) });
    await expect(supervisor.start()).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_COMPONENT_FAILED',
      message: 'broken did not become ready: the process exited (code 3)',
    });
    const failed = events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ name: 'broken', logTail: ['bad flag --frobnicate'] });
    expect(readFileSync(path.join(dir, 'order'), 'utf8')).toBe('a\n');
    expect(events.some((e) => e.type === 'exited')).toBe(false);
  });

  it('fails a component that never answers ready within its timeout', async () => {
    const slow = { ...(await spec('slow', 60_000)), readyTimeoutMs: 4_000 };
    supervisor = new Supervisor({ specs: [slow], logsDir: dir });
    await expect(supervisor.start()).rejects.toThrow(
      /slow did not become ready: .*not ready after 4 s \(last: HTTP 503\)/,
    );
  });
});
