/** `cnpaas console --open`'s opener, with real child processes standing in for xdg-open. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.js';
import { openInBrowser } from './web-console.js';

describe('opening the console in a browser', () => {
  const tmp = useTempDir('cnp-opener-');

  function opener(name: string, body: string): string {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('hands the address to the opener and reports success', async () => {
    const seen = path.join(tmp.dir, 'seen');
    const command = opener('ok-open', `printf '%s' "$1" > '${seen}'`);
    expect(await openInBrowser({ url: 'http://127.0.0.1:40017/', command })).toBeNull();
    expect(readFileSync(seen, 'utf8')).toBe('http://127.0.0.1:40017/');
  });

  it('says why when the opener fails (no desktop) or does not exist', async () => {
    // xdg-open exits 3 when it finds no way to open a URL, as on a server.
    const failing = opener('no-desktop', 'exit 3');
    expect(await openInBrowser({ url: 'http://127.0.0.1:1/', command: failing })).toBe(`${failing} exited with 3`);
    const missing = path.join(tmp.dir, 'not-installed');
    expect(await openInBrowser({ url: 'http://127.0.0.1:1/', command: missing })).toMatch(
      new RegExp(`^${missing} could not run \\(.*ENOENT`),
    );
  });

  it('takes an opener that keeps running as success, without waiting for it', async () => {
    const command = opener('slow-open', 'sleep 5');
    const started = Date.now();
    expect(await openInBrowser({ url: 'http://127.0.0.1:1/', command, waitMs: 200 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
