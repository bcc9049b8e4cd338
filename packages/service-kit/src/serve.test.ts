/**
 * serveUntilStopped with a stand-in server: the order of its life (build on
 * the certificates, ready, listen, the start-up line), the package's TLS
 * error when building fails, and SIGHUP handing fresh certificates over.
 * run.live.test.ts proves signals and exit codes on a real process.
 */
import { describe, expect, it, vi } from 'vitest';
import type { HostPort } from './address.js';
import { serveUntilStopped, type ServedHttps } from './serve.js';
import { caught, testError as error } from './test-support.js';
import { createServiceLogger } from './logger.js';
import { collectLines } from './testing.js';

class StandIn implements ServedHttps<string> {
  readonly events: string[] = [];
  readonly app = { ready: async () => void this.events.push('ready') };
  constructor(tls: string) {
    this.events.push(`build ${tls}`);
  }
  async listen(at: HostPort): Promise<string> {
    this.events.push(`listen ${at.port}`);
    return `https://127.0.0.1:${at.port}`;
  }
  setTls(tls: string): void {
    this.events.push(`setTls ${tls}`);
  }
  async close(): Promise<void> {
    this.events.push('close');
  }
}

describe('serveUntilStopped', () => {
  it('builds on the certificates, listens, says so, and on SIGHUP reads them again', async () => {
    let reads = 0;
    let server: StandIn | undefined;
    const { destination } = collectLines();
    void serveUntilStopped({
      readTls: () => `tls${++reads}`,
      tls: 'tls0',
      build: (tls) => (server = new StandIn(tls)),
      at: { host: '127.0.0.1', port: 8443 },
      log: createServiceLogger({ component: 'test', destination }),
      error,
      tlsHint: 'check the files',
      listening: (url, built) => built.events.push(`listening ${url}`),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server!.events).toEqual(['build tls0', 'ready', 'listen 8443', 'listening https://127.0.0.1:8443']);
    process.emit('SIGHUP');
    expect(server!.events.at(-1)).toBe('setTls tls1');
    // SIGTERM closes the server; the exit that follows is held back so the test process stays.
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    try {
      process.emit('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server!.events).toContain('close');
      expect(exit).toHaveBeenCalledWith(0);
    } finally {
      exit.mockRestore();
    }
  });

  it("turns a server that cannot be built on the certificates into the package's TLS error with the hint", async () => {
    const err = await caught(() =>
      serveUntilStopped({
        readTls: () => 'bad',
        build: () => {
          throw new Error('error:0B080074:x509 certificate routines::key values mismatch');
        },
        at: { host: '127.0.0.1', port: 0 },
        log: createServiceLogger({ component: 'test', destination: collectLines().destination }),
        error,
        tlsHint: 'check that --key-file is the key of --cert-file',
        listening: () => undefined,
      }),
    );
    expect([err.code, err.hint]).toEqual(['TEST_TLS', 'check that --key-file is the key of --cert-file']);
    expect(err.message).toContain('key values mismatch');
  });
});
