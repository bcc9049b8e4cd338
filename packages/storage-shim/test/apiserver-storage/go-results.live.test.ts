import { describe, expect, it } from 'vitest';
import { failureReport, parseTest2json } from './go-results.js';

const ev = (o: object) => JSON.stringify({ Time: '2025-01-01T00:00:00Z', ...o });

describe('parseTest2json', () => {
  it('names failed tests and subtests, skips, and binaries that failed outside any test', () => {
    const text = [
      'not json: go tool test2json stderr',
      ev({ Action: 'start', Package: 'etcd3' }),
      ev({ Action: 'run', Package: 'etcd3', Test: 'TestA' }),
      ev({ Action: 'pass', Package: 'etcd3', Test: 'TestA', Elapsed: 0.1 }),
      ev({ Action: 'run', Package: 'etcd3', Test: 'TestB' }),
      ev({ Action: 'output', Package: 'etcd3', Test: 'TestB/sub', Output: '    store_test.go:1: want 2, got 3\n' }),
      ev({ Action: 'fail', Package: 'etcd3', Test: 'TestB/sub', Elapsed: 0 }),
      ev({ Action: 'fail', Package: 'etcd3', Test: 'TestB', Elapsed: 0.2 }),
      ev({ Action: 'output', Package: 'etcd3', Test: 'TestC', Output: '    x_test.go:9: not here\n' }),
      ev({ Action: 'skip', Package: 'etcd3', Test: 'TestC', Elapsed: 0 }),
      ev({ Action: 'fail', Package: 'etcd3', Elapsed: 1 }),
      ev({ Action: 'output', Package: 'metrics', Output: 'panic: boom\n' }),
      ev({ Action: 'fail', Package: 'metrics', Elapsed: 0 }),
      ev({ Action: 'pass', Package: 'preflight', Elapsed: 0 }),
    ].join('\n');
    const r = parseTest2json(text);
    expect(r.passed).toEqual(['etcd3/TestA']);
    expect(r.failed).toEqual(['etcd3/TestB']);
    expect(r.failedSubtests).toEqual(['etcd3/TestB/sub']);
    expect(r.skipped).toEqual(['etcd3/TestC']);
    expect(r.brokenPackages).toEqual(['metrics']);
    expect(r.packages).toEqual(['etcd3', 'metrics', 'preflight']);
    const report = failureReport(r);
    expect(report).toContain('--- etcd3/TestB/sub\nstore_test.go:1: want 2, got 3');
    expect(report).toContain('--- metrics\npanic: boom');
  });
});
