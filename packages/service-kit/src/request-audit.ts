/**
 * What a component asked of a real kube-apiserver, read back from the
 * apiserver's own audit log: the verb, the full request URI (with its query:
 * resourceVersion, fieldSelector, dryRun, fieldManager) and the user. A live
 * test passes `apiserverArgs` to its control plane and can then assert on the
 * requests themselves, as a hand-written fake used to record them, but with
 * the real server answering.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The parts of an audit.k8s.io/v1 Event a test looks at. */
export interface AuditedRequest {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  responseStatus?: { code?: number; reason?: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string };
}

export interface RequestAudit {
  /** kube-apiserver flags that write the audit log (`apiserverArgs` of startControlPlane). */
  apiserverArgs: string[];
  /** Every request logged so far (each once: only the ResponseStarted/ResponseComplete stages are kept). */
  requests(): AuditedRequest[];
  /**
   * The logged requests that match, once there is at least one. The log is
   * written as the apiserver finishes a request, which can be just after the
   * client has its answer, hence the wait.
   */
  waitFor(match: (request: AuditedRequest) => boolean, options?: { timeoutMs?: number }): Promise<AuditedRequest[]>;
  /** Removes the policy and the log. */
  close(): void;
}

export interface RequestAuditOptions {
  /** Only these users' requests are logged, so the log stays small (the apiserver's own loops are left out). */
  users: string[];
}

export function requestAudit(options: RequestAuditOptions): RequestAudit {
  const dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-audit-'));
  const policy = path.join(dir, 'policy.yaml');
  const log = path.join(dir, 'audit.log');
  writeFileSync(
    policy,
    [
      'apiVersion: audit.k8s.io/v1',
      'kind: Policy',
      // One line per request: a watch's ResponseStarted, every other request's ResponseComplete.
      'omitStages: [RequestReceived]',
      'rules:',
      `  - level: Metadata`,
      `    users: ${JSON.stringify(options.users)}`,
      '  - level: None',
      '',
    ].join('\n'),
  );
  writeFileSync(log, '');
  const requests = (): AuditedRequest[] => {
    const seen = new Set<string>();
    const out: AuditedRequest[] = [];
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as AuditedRequest & { auditID: string };
      // A watch logs ResponseStarted and, when it ends, ResponseComplete: count it once.
      if (seen.has(event.auditID)) continue;
      seen.add(event.auditID);
      out.push(event);
    }
    return out;
  };
  return {
    apiserverArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, '--audit-log-format=json'],
    requests,
    waitFor: async (match, waitOptions = {}) => {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 5_000);
      for (;;) {
        const found = requests().filter(match);
        if (found.length > 0 || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
