import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { startStore } from '../support/processes.js';

const STORE_BIN = resolve(import.meta.dirname, '../../bin/cnpaas-store.js');
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-sock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(socket: string) {
  return spawnSync(
    process.execPath,
    [STORE_BIN, `--data-dir=${join(dir, 'refused')}`, `--listen-client-urls=unix://${socket}`],
    { encoding: 'utf8', timeout: 20_000 },
  );
}

describe('the unix socket path', () => {
  it('leaves a regular file at the path alone and says so', () => {
    const path = join(dir, 'file.sock');
    writeFileSync(path, 'precious');
    const r = run(path);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`CNPAAS_STORE_SOCKET_PATH: unix://${path}: the path exists and is a regular file`);
    expect(r.stderr).toContain('fix: remove it yourself if it is not needed, or choose another socket path');
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('never follows or removes a symbolic link', () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'precious');
    const link = join(dir, 'link.sock');
    symlinkSync(target, link);
    const r = run(link);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the path exists and is a symbolic link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('is created owner-only, replaces the socket of a killed store, and refuses one still in use', async () => {
    const socket = join(dir, 's.sock');
    const first = await startStore({ extraListenUrls: [`unix://${socket}`] });
    try {
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const client = connect(`unix://${socket}`);
      await call(client.kv, 'Put', { key: Buffer.from('k'), value: Buffer.from('v') });
      client.close();

      const r = run(socket);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`unix://${socket}: another process is listening on this socket`);
      const still = connect(`unix://${socket}`);
      expect((await call(still.kv, 'Range', { key: Buffer.from('k') })).kvs).toHaveLength(1);
      still.close();

      await first.kill();
      expect(lstatSync(socket).isSocket()).toBe(true);
      const second = await startStore({ dataDir: first.dataDir, extraListenUrls: [`unix://${socket}`] });
      try {
        expect(statSync(socket).mode & 0o777).toBe(0o600);
        const again = connect(`unix://${socket}`);
        expect((await call(again.kv, 'Range', { key: Buffer.from('k') })).kvs).toHaveLength(1);
        again.close();
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
