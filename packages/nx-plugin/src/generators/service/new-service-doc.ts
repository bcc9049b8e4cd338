/**
 * docs/new-service.md shows what the generator and the generated tests print.
 * The blocks that can rot are marked `<!-- checked: <what> -->` just above
 * their fence; these helpers read them so the plugin's tests can hold the
 * page to what the code prints today (new-service-doc.test.ts for the files
 * the generator writes, src/generated-service.live.test.ts for test counts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const NEW_SERVICE_DOC = fileURLToPath(new URL('../../../../../docs/new-service.md', import.meta.url));

export function readNewServiceDoc(): string {
  return readFileSync(NEW_SERVICE_DOC, 'utf8');
}

/** The body of the fenced block right after `<!-- checked: marker -->`; throws naming the marker when there is none. */
export function checkedBlock(markdown: string, marker: string): string {
  const found = new RegExp(`<!-- checked: ${marker} -->\\s*\`\`\`[^\\n]*\\n([\\s\\S]*?)\\n\`\`\``).exec(markdown);
  if (found === null) throw new Error(`docs/new-service.md has no fenced block after <!-- checked: ${marker} -->`);
  return found[1]!;
}

export interface TestCounts {
  /** Tests per file, keyed by the path vitest prints (`src/config.test.ts`). */
  files: Record<string, number>;
  total: number;
}

/** Reads vitest's summary lines: ` ✓ src/x.test.ts (5 tests) 12ms` and `Tests  26 passed (26)`. */
export function testCountsOf(block: string): TestCounts {
  const files: Record<string, number> = {};
  for (const match of block.matchAll(/^\s*✓ (src\/\S+) \((\d+) tests?\)/gm)) files[match[1]!] = Number(match[2]);
  const total = /Tests\s+(\d+) passed \(\1\)/.exec(block);
  if (total === null) throw new Error(`no "Tests N passed (N)" line in:\n${block}`);
  return { files, total: Number(total[1]) };
}

/** What the counts need of the JSON report vitest writes (`test-results/<name>-unit.json`). */
export interface VitestReport {
  testResults: Array<{ name: string; status: string; assertionResults: Array<{ status: string }> }>;
}

/** The counts of a vitest JSON report, keyed by paths relative to the package. */
export function testCountsOfReport(report: VitestReport, packageDir: string): TestCounts {
  const files: Record<string, number> = {};
  let total = 0;
  for (const file of report.testResults) {
    const passed = file.assertionResults.filter((a) => a.status === 'passed').length;
    files[file.name.slice(packageDir.length).replace(/^\/+/, '')] = passed;
    total += passed;
  }
  return { files, total };
}

/** `CREATE packages/inventory/…` lines, and the `(N more under dir/)` lines that stand for the rest of a directory. */
export function createdFilesOf(block: string, root: string): { listed: string[]; elided: Record<string, number> } {
  const listed = [...block.matchAll(new RegExp(`^CREATE ${root}/(\\S+)$`, 'gm'))].map((m) => m[1]!);
  const elided: Record<string, number> = {};
  for (const match of block.matchAll(/^…\s+\((\d+) more under (\S+)\/\)$/gm)) elided[match[2]!] = Number(match[1]);
  return { listed, elided };
}
