/**
 * A live stack for the console's browser test: `cnpaas up --ports auto` in a
 * temp state dir, the console's own identity (a client certificate from the
 * stack's CA, bound by manifests/rbac.yaml), and the console's bin on a free
 * loopback port, as a separate process with its log in the state dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@cnpaas/kube';
import { CertificateAuthority, down, kubeClientFromPki, runKubectl, up, type UpResult } from '@cnpaas/platform';
import { freePort } from '@cnpaas/service-kit';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
export const DEMO_TOPOLOGY = fileURLToPath(new URL('../../storage-shim/topologies/demo.yaml', import.meta.url));
const CONSOLE_CN = 'cnpaas-console';

export interface ConsoleStack {
  stateDir: string;
  result: UpResult;
  /** The admin, for checks behind the console's back. */
  admin: KubeClient;
  url: string;
  consoleLog: string;
  close(): Promise<void>;
}

export async function openConsoleStack(): Promise<ConsoleStack> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'cnp-console-'));
  const result = await up({ stateDir, ports: 'auto', topology: DEMO_TOPOLOGY, say: () => {} });
  const pki = path.join(stateDir, 'pki');
  const admin = kubeClientFromPki({ server: result.server, pkiDir: pki });
  let child: ChildProcess | undefined;
  const close = async (): Promise<void> => {
    if (child?.pid && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    admin.close();
    await down({ stateDir, purge: true, say: () => {} });
  };
  try {
    const ca = await CertificateAuthority.loadOrCreate(pki, 'ca', 'cnpaas-ca');
    const cert = await ca.issue(pki, { name: CONSOLE_CN, commonName: CONSOLE_CN, usage: 'client' });
    const kubeconfig = path.join(pki, `${CONSOLE_CN}.kubeconfig`);
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'cnpaas', cluster: { server: result.server, 'certificate-authority': ca.files.cert } }],
        users: [{ name: CONSOLE_CN, user: { 'client-certificate': cert.cert, 'client-key': cert.key } }],
        contexts: [{ name: CONSOLE_CN, context: { cluster: 'cnpaas', user: CONSOLE_CN } }],
        'current-context': CONSOLE_CN,
      }),
      { mode: 0o600 },
    );
    const applied = await runKubectl({
      kubectl: result.kubectl ?? 'kubectl',
      kubeconfig: result.kubeconfig,
      args: ['apply', '-f', path.join(PACKAGE, 'manifests', 'rbac.yaml')],
    });
    if (applied.code !== 0) throw new Error(`kubectl apply rbac.yaml: ${applied.stderr}`);

    const port = await freePort();
    const consoleLog = path.join(stateDir, 'logs', 'console.log');
    const out = openSync(consoleLog, 'a');
    child = spawn(
      process.execPath,
      [
        path.join(PACKAGE, 'bin', 'cnpaas-console.js'),
        '--kubeconfig',
        kubeconfig,
        '--port',
        String(port),
        '--topology',
        DEMO_TOPOLOGY,
        '--mail-dir',
        path.join(stateDir, 'mail'),
      ],
      { stdio: ['ignore', out, out], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    closeSync(out);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`cnpaas-console did not become ready (exit ${child.exitCode}); see ${consoleLog}`);
      await sleep(100);
    }
    return { stateDir, result, admin, url, consoleLog, close };
  } catch (err) {
    await close();
    throw err;
  }
}
