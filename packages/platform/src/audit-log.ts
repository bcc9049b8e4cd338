/**
 * kube-apiserver's audit log, always on: `<state-dir>/logs/audit.log`, next
 * to the components' logs (`cnpaas logs audit`), with the policy in
 * manifests/audit-policy.yaml. Always on because the local platform is
 * where the security model is learnt and tested: every stack, and every
 * test that searches the state dir for a password, then covers the audit
 * log too. The policy keeps the cost small (no probes or Lease renewals,
 * reads at Metadata) and the log rotates at a fixed size.
 */
import { fileURLToPath } from 'node:url';
import { logFile } from './log-files.js';
import type { StatePaths } from './state-dir.js';

/** The policy file shipped with the package (the same path from src/ and dist/). */
export function auditPolicyFile(): string {
  return fileURLToPath(new URL('../manifests/audit-policy.yaml', import.meta.url));
}

export function auditLogFile(paths: StatePaths): string {
  return logFile(paths.logs, 'audit');
}

/** Rotation: at most 4 files of 50 MB (the live one and 3 backups). */
const MAX_SIZE_MB = 50;
const MAX_BACKUPS = 3;

export function auditArgs(paths: StatePaths): string[] {
  return [
    `--audit-policy-file=${auditPolicyFile()}`,
    `--audit-log-path=${auditLogFile(paths)}`,
    '--audit-log-format=json',
    `--audit-log-maxsize=${MAX_SIZE_MB}`,
    `--audit-log-maxbackup=${MAX_BACKUPS}`,
  ];
}
