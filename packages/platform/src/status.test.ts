import { describe, expect, it } from 'vitest';
import { formatStatus, type StatusReport } from './status.js';

const running: StatusReport = {
  stateDir: '/srv/cnpaas',
  running: true,
  supervisorPid: 4242,
  readyAt: '2026-01-01T00:00:00.000Z',
  ports: { apiserver: 6443, console: 8090 },
  topology: '/srv/topology.yaml',
  components: [{ name: 'console', pid: 4343, phase: 'ready', restarts: 0, healthy: true, detail: 'HTTP 200' }],
  backendKeys: { main: 12, shirts: 3 },
  consoleUrl: 'http://127.0.0.1:8090/',
};

describe('cnpaas status, as a person reads it', () => {
  it('ends with where kube-apiserver and the web console are', () => {
    expect(formatStatus(running).split('\n')).toEqual([
      'cnpaas in /srv/cnpaas: running (supervisor pid 4242, ready since 2026-01-01T00:00:00.000Z)',
      '  console  healthy  ready      pid 4343    restarts 0  (HTTP 200)',
      'topology /srv/topology.yaml',
      '  backend main         12 keys',
      '  backend shirts       3 keys',
      'kube-apiserver https://127.0.0.1:6443',
      'web console http://127.0.0.1:8090/',
    ]);
  });

  it('names no console for a stack without one', () => {
    expect(formatStatus({ ...running, consoleUrl: null })).not.toContain('web console');
  });
});
