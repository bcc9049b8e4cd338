/** kubectl bound to one cluster, for the suites: the result as it is, or stdout with a non-zero exit thrown. */
import { runKubectl, type KubectlResult } from '@cnpaas/platform';

export interface BoundKubectl {
  /** Any exit code resolves (`auth can-i` answers no with 1). */
  run: (args: string[], input?: string) => Promise<KubectlResult>;
  /** stdout; a non-zero exit rejects with kubectl's own words. */
  (args: string[], input?: string): Promise<string>;
}

export function kubectlFor(cluster: { kubectl: string; kubeconfig: string }): BoundKubectl {
  const run = (args: string[], input?: string) =>
    runKubectl({
      kubectl: cluster.kubectl,
      kubeconfig: cluster.kubeconfig,
      args,
      ...(input === undefined ? {} : { input }),
    });
  const bound = async (args: string[], input?: string): Promise<string> => {
    const res = await run(args, input);
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    return res.stdout;
  };
  return Object.assign(bound, { run });
}
