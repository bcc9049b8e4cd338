import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mainThreadProfile, profileLines, summariseProfile } from '../../bench/profile.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url = '') => ({
  functionName,
  url,
  lineNumber: 9,
  columnNumber: 0,
  scriptId: '0',
});

describe('the store profile summary', () => {
  // root → commit (store.js) → query (sql-bridge.js); root → (idle)
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4] },
      { id: 2, callFrame: frame('commit', 'file:///x/dist/mvcc/store.js'), children: [3] },
      { id: 3, callFrame: frame('query', 'file:///x/dist/drivers/sql-bridge.js') },
      { id: 4, callFrame: frame('(idle)') },
    ],
    samples: [3, 3, 3, 2, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 6000],
  };
  writeFileSync(
    join(dir, 'CPU.20261205.120000.42.1.002.cpuprofile'),
    JSON.stringify({ nodes: [], samples: [], timeDeltas: [] }),
  );
  writeFileSync(join(dir, 'CPU.20261205.120000.42.0.001.cpuprofile'), JSON.stringify(profile));

  it("picks the main thread's file and splits its time by self time and by what is on the stack", () => {
    const file = mainThreadProfile(dir)!;
    expect(file).toMatch(/\.42\.0\.001\.cpuprofile$/);
    const s = summariseProfile(file, {
      database: (f) => f.functionName === 'query' && f.url.endsWith('sql-bridge.js'),
      store: (f) => f.url.endsWith('store.js'),
    });
    expect(s.totalMs).toBe(10);
    expect(s.top[0]).toEqual({ name: '(idle)', ms: 6, share: 0.6 });
    expect(s.top[1]).toEqual({ name: 'query sql-bridge.js:10', ms: 3, share: 0.3 });
    expect(s.groups).toEqual([
      { name: 'database', share: 0.3 },
      { name: 'store', share: 0.4 },
    ]);
    expect(profileLines(s)[0]).toContain('database 30.0 %; store 40.0 %');
  });
});
