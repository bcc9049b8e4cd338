/** Runs kubectl with a kubeconfig, collecting its output; shared by the platform, its tests and e2e. */
import { spawn } from 'node:child_process';

export interface KubectlOptions {
  kubectl: string;
  kubeconfig: string;
  args: string[];
  /** Written to stdin (manifests for `apply -f -`). */
  input?: string;
  /** SIGKILL after this long; the result then has code null. Default 60 s. */
  timeoutMs?: number;
}

export interface KubectlResult {
  /** null when kubectl could not start or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves with the exit code (`auth can-i` exits 1 for "no"); never rejects. */
export function runKubectl(options: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(options.kubectl, ['--kubeconfig', options.kubeconfig, ...options.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // kubectl may exit before reading its input
    child.stdin.end(options.input ?? '');
  });
}
