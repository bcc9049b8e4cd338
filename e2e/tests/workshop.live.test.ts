/**
 * docs/workshop.md, run as written (`nx run e2e:workshop`, and part of
 * `npm test`): every `sh` block in order, in one bash session, against a
 * fresh stack in a temp state dir, and each output compared with the `text`
 * block after it (markers for what varies: e2e/support/output-pattern.ts).
 * The doc's own `npx cnpaas up` starts the stack: CNPAAS_STATE_DIR points it
 * at the temp dir and CNPAAS_PORTS=auto picks free ports, so the commands
 * are the ones a speaker types. The first mismatch fails with the doc's line
 * and a diff, and the blocks after it are skipped (they build on it).
 *
 * CNPAAS_WORKSHOP_RECORD=FILE also writes every block's real output to FILE,
 * for whoever updates the doc.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, pinnedKubeVersion, resolveKubeBinary } from '@cnpaas/platform';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { matchOutput } from '../support/output-pattern.js';
import { ShellSession } from '../support/shell-session.js';
import { parseWorkshop } from '../support/workshop-doc.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = 'docs/workshop.md';
const steps = parseWorkshop(readFileSync(path.join(REPO_ROOT, DOC), 'utf8'), DOC);
const RECORD = process.env.CNPAAS_WORKSHOP_RECORD;
/** A block waits at most this long: the slowest, the operator's restart, takes about 20 s. */
const BLOCK_TIMEOUT_MS = 90_000;

describe(`${DOC}, run as written`, () => {
  let stateDir: string;
  let shell: ShellSession;
  let bindings = new Map<string, string>();
  let failedAt: number | null = null;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'cnp-workshop-'));
    // The pinned kubectl first on PATH, as the doc asks of the reader.
    const kubectl = await resolveKubeBinary('kubectl', { version: pinnedKubeVersion() });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.dirname(kubectl.path)}${path.delimiter}${process.env.PATH ?? ''}`,
      CNPAAS_STATE_DIR: stateDir,
      CNPAAS_PORTS: 'auto',
      npm_config_update_notifier: 'false',
      NO_COLOR: '1',
    };
    // A person's terminal has no KUBECONFIG for this stack yet, and Nx's FORCE_COLOR would make Node warn
    // about NO_COLOR in the middle of an output.
    delete env.KUBECONFIG;
    delete env.FORCE_COLOR;
    shell = new ShellSession({ cwd: REPO_ROOT, env });
    if (RECORD) writeFileSync(RECORD, `# real output of ${DOC}, ${new Date().toISOString()}\n`);
  });

  afterAll(async () => {
    await shell?.close();
    // The doc ends with cnpaas down; this also removes the temp dir, and stops the stack after a failure.
    if (stateDir) await down({ stateDir, purge: true, say: () => {} });
  });

  for (const step of steps.filter((s) => s.run)) {
    const title = `${DOC}:${step.line}  ${step.script.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? ''}`;
    it(title, async (ctx) => {
      if (failedAt !== null && !RECORD)
        ctx.skip(`skipped: the block at ${DOC}:${failedAt} failed and this one builds on it`);
      const started = Date.now();
      let actual: string;
      try {
        actual = await shell.run(step.script, BLOCK_TIMEOUT_MS);
      } catch (err) {
        failedAt = step.line;
        throw new Error(`${DOC}:${step.line}: ${(err as Error).message}`, { cause: err });
      }
      if (RECORD)
        appendFileSync(
          RECORD,
          `\n<!-- ${DOC}:${step.line}, ${Date.now() - started} ms -->\n\`\`\`sh\n${step.script}\n\`\`\`\n\n\`\`\`text\n${actual.trimEnd()}\n\`\`\`\n`,
        );
      const result = matchOutput(step.expected, actual, bindings);
      if (!result.ok) {
        failedAt = step.line;
        const where = step.expectedLine === null ? 'expected no output' : `expected at ${DOC}:${step.expectedLine}`;
        throw new Error(`${DOC}:${step.line}: the output is not what the doc shows (${where})\n${result.diff}`);
      }
      bindings = result.bindings;
    });
  }
});
