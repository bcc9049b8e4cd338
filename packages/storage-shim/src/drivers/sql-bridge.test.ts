import { afterEach, describe, expect, it } from 'vitest';
import { BackendQueryError, SqlBridge } from './sql-bridge.js';

const WORKER = new URL('../../test/support/bridge-worker.ts', import.meta.url);

describe('SqlBridge', () => {
  let bridge: SqlBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('answers each synchronous query with its own reply when a late notify wakes it early', () => {
    bridge = new SqlBridge(WORKER, { config: {}, server: 'TestDB', timeoutMs: 5_000 });
    for (const text of ['one', 'late-notify two', 'late-notify three']) {
      expect(bridge.query('reader', text).rows).toEqual([{ text }]);
    }
  });

  it('gives up on a query after its timeout and answers the next one with its own reply', () => {
    // The slow answer comes 200 ms after this timeout; the queries behind it then have the whole timeout for
    // theirs. (With 250 ms and a 300 ms answer, `two` had 250 ms, and a loaded machine once took longer.)
    bridge = new SqlBridge(WORKER, { config: {}, server: 'TestDB', timeoutMs: 1_000 });
    // On a loaded machine the worker itself may take longer than the timeout to start (it loads TypeScript): wait
    // until it answers, so that the timings below are the worker's, not its start-up's.
    for (let tries = 0; ; tries++) {
      try {
        bridge.query('reader', 'warm-up');
        break;
      } catch (err) {
        if (tries === 40) throw err;
      }
    }
    expect(() => bridge!.query('reader', 'slow one')).toThrow(
      new BackendQueryError(
        'no answer from TestDB within 1000 ms; the statement may still complete there, so the outcome of a write is unknown',
        'TIMEOUT',
      ),
    );
    // The worker answers `slow one` 200 ms later, then this: the late answer comes first and must be dropped.
    expect(bridge.query('reader', 'two').rows).toEqual([{ text: 'two' }]);
    expect(bridge.query('reader', 'three').rows).toEqual([{ text: 'three' }]);
  });
});
