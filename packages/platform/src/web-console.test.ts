import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.js';
import { statePaths, type ComponentState } from './state-dir.js';
import { browserOpener, consoleUrl, runningConsoleUrl } from './web-console.js';

const component = { pid: 1, phase: 'ready', restarts: 0 } as ComponentState;

describe('the web console address', () => {
  it('is loopback on the port the stack recorded, with no token in it', () => {
    expect(consoleUrl({ ports: { apiserver: 40001, console: 40017 }, components: { console: component } })).toBe(
      'http://127.0.0.1:40017/',
    );
  });

  it('is null for a stack without the console (--control-plane-only)', () => {
    expect(consoleUrl({ ports: { apiserver: 40001 }, components: { store: component } })).toBeNull();
  });

  it('is handed to open on macOS and to xdg-open elsewhere', () => {
    expect(browserOpener('darwin')).toBe('open');
    expect(browserOpener('linux')).toBe('xdg-open');
  });

  describe('of a stack that is not running', () => {
    const tmp = useTempDir('cnp-console-url-');

    it('is refused with the way out when there is no state at all', () => {
      expect(() => runningConsoleUrl(statePaths(tmp.dir))).toThrow(
        expect.objectContaining({
          code: 'CNPAAS_PLATFORM_NOT_RUNNING',
          message: `no cnpaas stack is running in ${tmp.dir}`,
          hint: expect.stringContaining('run cnpaas up first'),
        }),
      );
    });

    it('is refused when the state names a supervisor that is gone', () => {
      // A pid that is never a supervisor of this dir: the state file outlived its stack.
      const state = {
        version: 1,
        ports: { console: 40017 },
        topology: 'demo.yaml',
        supervisor: { pid: process.pid, startedAt: new Date().toISOString() },
        components: { console: component },
        readyAt: null,
      };
      writeFileSync(path.join(tmp.dir, 'state.json'), JSON.stringify(state));
      expect(() => runningConsoleUrl(statePaths(tmp.dir))).toThrow(/no cnpaas stack is running/);
    });
  });
});
