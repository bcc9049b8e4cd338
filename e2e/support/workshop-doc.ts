/**
 * Reads docs/workshop.md into the steps `nx run e2e:workshop` runs. The
 * rules a doc keeps (docs/workshop.md says them to its readers too):
 *
 * - A fenced block whose info string starts with `sh` is a command block; the
 *   test runs it, in document order, in one shell session. `sh no-run` marks
 *   a block the test must not run (opening a browser).
 * - The `text` block right after it (only blank lines between) is its
 *   expected output, stdout and stderr together. A command block with no
 *   `text` block after it must print nothing.
 * - A `text` block anywhere else is a mistake in the doc, reported with its
 *   line: an illustration uses another info string (`yaml`, `json`, ...).
 * - Fences start at the left margin and use three backticks.
 */

export interface WorkshopStep {
  /** 1-based line of the command block's opening fence. */
  line: number;
  script: string;
  /** The expected output as written (markers included); '' when none was given. */
  expected: string;
  /** 1-based line of the expected block's opening fence, or null. */
  expectedLine: number | null;
  /** `sh no-run`: shown to the reader, never run. */
  run: boolean;
}

interface Fence {
  line: number;
  lang: string;
  flags: string[];
  body: string;
  /** 1-based line of the closing fence. */
  end: number;
}

export class WorkshopDocError extends Error {
  override readonly name = 'WorkshopDocError';
}

function fences(markdown: string, file: string): Fence[] {
  const lines = markdown.split(/\r?\n/);
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [lang = '', ...flags] = open[1]!.trim().split(/\s+/).filter(Boolean);
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i]!); i += 1) body.push(lines[i]!);
    if (i >= lines.length) throw new WorkshopDocError(`${file}:${start + 1}: this code block is never closed`);
    out.push({ line: start + 1, lang, flags, body: body.join('\n'), end: i + 1 });
  }
  return out;
}

/** Only blank lines between the end of `a` and the start of `b`. */
function adjacent(lines: string[], a: Fence, b: Fence): boolean {
  return lines.slice(a.end, b.line - 1).every((l) => l.trim() === '');
}

export function parseWorkshop(markdown: string, file = 'docs/workshop.md'): WorkshopStep[] {
  const lines = markdown.split(/\r?\n/);
  const all = fences(markdown, file);
  const steps: WorkshopStep[] = [];
  const used = new Set<Fence>();
  all.forEach((fence, i) => {
    if (fence.lang !== 'sh') return;
    const unknown = fence.flags.filter((f) => f !== 'no-run');
    if (unknown.length > 0)
      throw new WorkshopDocError(`${file}:${fence.line}: unknown flag ${unknown.join(' ')} (only "sh no-run" exists)`);
    const next = all[i + 1];
    const output = next && next.lang === 'text' && adjacent(lines, fence, next) ? next : undefined;
    if (output) used.add(output);
    steps.push({
      line: fence.line,
      script: fence.body,
      expected: output?.body ?? '',
      expectedLine: output?.line ?? null,
      run: !fence.flags.includes('no-run'),
    });
  });
  const stray = all.find((f) => f.lang === 'text' && !used.has(f));
  if (stray) {
    throw new WorkshopDocError(
      `${file}:${stray.line}: a text block that does not follow a command block; expected output goes right after its sh block, an illustration gets another info string`,
    );
  }
  return steps;
}
