/**
 * A real local stack for a test file: `cnpaas up --ports auto` in a temp
 * state dir, kubectl bound to its kubeconfig, and `cnpaas down --purge`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { down, runKubectl, up, type UpResult } from '../../src/index.js';

export interface TestStack {
  result: UpResult;
  stateDir: string;
  progress: string[];
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  kubectlJson<T = any>(args: string[]): Promise<T>;
  stop(): Promise<void>;
}

export interface StartStackOptions {
  topology?: string;
  env?: NodeJS.ProcessEnv;
  /** Default `control-plane`: the store, kube-apiserver and kube-controller-manager only. */
  components?: 'all' | 'control-plane';
}

export async function startStack(options: StartStackOptions = {}): Promise<TestStack> {
  // Short: the store's unix socket lives under it (≤ 100 bytes).
  const stateDir = mkdtempSync(path.join(tmpdir(), 'cnp-'));
  const progress: string[] = [];
  const result = await up({
    stateDir,
    ports: 'auto',
    topology: options.topology,
    env: options.env,
    components: options.components ?? 'control-plane',
    say: (line) => progress.push(line),
  });
  const kubectlPath = result.kubectl ?? 'kubectl';
  const kubectl: TestStack['kubectl'] = async (args, opts = {}) => {
    const res = await runKubectl({
      kubectl: kubectlPath,
      kubeconfig: result.kubeconfig,
      args,
      input: opts.input,
      timeoutMs: opts.timeoutMs,
    });
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    return res.stdout;
  };
  return {
    result,
    stateDir,
    progress,
    kubectl,
    kubectlJson: async (args) => JSON.parse(await kubectl([...args, '-o', 'json'])),
    stop: () => down({ stateDir, purge: true, say: () => {} }),
  };
}
