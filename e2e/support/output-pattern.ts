/**
 * Expected output with its varying parts marked, as docs/workshop.md writes
 * it, compared with what a command printed:
 *
 * - `…` stands for any text within one line (also none): ages, times, pids.
 * - A line that is only `⋮` stands for any number of lines (also none).
 * - `<name>` (lower case, digits, `-`) stands for one word (no spaces): a
 *   generated name, a UID, a port. The first time the doc shows it binds it;
 *   every later `<name>` in the doc must be the same word, so "the tenant
 *   the status named is the namespace kubectl shows" is checked too.
 *   kubectl's own `<none>`, `<unknown>`, `<invalid>`, `<unset>` and `<nil>`
 *   are literal text.
 * - A run of spaces matches any run of spaces (table columns widen with
 *   their values); trailing spaces, colour codes and leading and trailing
 *   blank lines are ignored.
 */

export const ANY_TEXT = '…';
export const ANY_LINES = '⋮';
const LITERAL_WORDS = new Set(['none', 'unknown', 'invalid', 'unset', 'nil']);
const TOKEN = /…|<([a-z][a-z0-9-]*)>|[ \t]+/g;

export function normalizeOutput(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- colour codes are what this removes
  const plain = text.replace(/\r\n/g, '\n').replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const group = (name: string): string => `p_${name.replaceAll('-', '_')}`;

/** One expected line as a regexp source; placeholders seen first here become named groups. */
function lineSource(line: string, bound: ReadonlyMap<string, string>, seen: Set<string>): string {
  let out = '';
  let last = 0;
  for (const m of line.matchAll(TOKEN)) {
    out += escape(line.slice(last, m.index));
    last = m.index + m[0].length;
    const name = m[1];
    if (m[0] === ANY_TEXT) out += '[^\\n]*?';
    else if (name === undefined) out += '[ \\t]+';
    else if (LITERAL_WORDS.has(name)) out += escape(m[0]);
    else if (bound.has(name)) out += escape(bound.get(name)!);
    else if (seen.has(name)) out += `\\k<${group(name)}>`;
    else {
      seen.add(name);
      out += `(?<${group(name)}>\\S+?)`;
    }
  }
  return out + escape(line.slice(last));
}

function compile(lines: string[], bound: ReadonlyMap<string, string>): { regexp: RegExp; names: string[] } {
  const seen = new Set<string>();
  let source = '';
  for (const line of lines) {
    source += line.trim() === ANY_LINES ? '(?:[^\\n]*\\n)*?' : `${lineSource(line, bound, seen)}\\n`;
  }
  return { regexp: new RegExp(`^${source}$`), names: [...seen] };
}

export type MatchResult = { ok: true; bindings: Map<string, string> } | { ok: false; diff: string };

/**
 * Whether `actual` matches `expected`. On success the result carries the
 * placeholders bound so far (`bound` plus the new ones); on failure a diff
 * naming the first expected line that does not match.
 */
export function matchOutput(expected: string, actual: string, bound: ReadonlyMap<string, string>): MatchResult {
  const want = normalizeOutput(expected);
  const got = normalizeOutput(actual);
  const { regexp, names } = compile(want, bound);
  const m = regexp.exec(got.map((l) => `${l}\n`).join(''));
  if (m) {
    const bindings = new Map(bound);
    for (const name of names) bindings.set(name, m.groups![group(name)]!);
    return { ok: true, bindings };
  }
  return { ok: false, diff: explain(want, got, bound) };
}

/** Walks both line by line to name where they part; the full texts follow. */
function explain(want: string[], got: string[], bound: ReadonlyMap<string, string>): string {
  const matches = (line: string, actual: string | undefined): boolean =>
    actual !== undefined && compile([line], bound).regexp.test(`${actual}\n`);
  let i = 0;
  let j = 0;
  let where = '';
  while (i < want.length && where === '') {
    const line = want[i]!;
    if (line.trim() === ANY_LINES) {
      if (i === want.length - 1) {
        j = got.length;
        i += 1;
        break;
      }
      const k = got.findIndex((a, n) => n >= j && matches(want[i + 1]!, a));
      if (k < 0) where = `expected line ${i + 2} (after ${ANY_LINES}) is nowhere in the rest of the output`;
      else {
        j = k;
        i += 1;
      }
    } else if (matches(line, got[j])) {
      i += 1;
      j += 1;
    } else {
      where =
        got[j] === undefined
          ? `expected line ${i + 1} is missing: the output ends after ${got.length} lines`
          : `expected line ${i + 1} differs from output line ${j + 1}:\n  expected: ${line}\n  actual:   ${got[j]}`;
    }
  }
  if (where === '')
    where =
      j < got.length
        ? `the output goes on after the expected ${want.length} lines, from line ${j + 1}: ${got[j]}`
        : 'a placeholder is not the same word everywhere it appears';
  const bindings = [...bound].map(([k, v]) => `<${k}> = ${v}`).join(', ');
  return [
    where,
    ...(bindings ? [`placeholders bound so far: ${bindings}`] : []),
    '--- expected',
    ...want,
    '--- actual',
    ...got,
  ].join('\n');
}
