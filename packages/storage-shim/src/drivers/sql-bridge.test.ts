import { afterEach, describe, expect, it } from 'vitest';
import { SqlBridge } from './sql-bridge.js';

const LATE_NOTIFY = new URL('../../test/support/late-notify-worker.ts', import.meta.url);

describe('SqlBridge', () => {
  let bridge: SqlBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('answers each synchronous query with its own reply when a late notify wakes it early', () => {
    bridge = new SqlBridge(LATE_NOTIFY, {}, 'TestDB', 5_000);
    for (const text of ['one', 'two', 'three']) {
      expect(bridge.query('reader', text).rows).toEqual([{ text }]);
    }
  });
});
