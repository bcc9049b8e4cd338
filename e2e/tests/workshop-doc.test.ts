/** The workshop doc's reader and its output markers, without a stack; the doc itself must parse. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchOutput } from '../support/output-pattern.js';
import { parseWorkshop } from '../support/workshop-doc.js';

const none = new Map<string, string>();
const fence = '```';

describe('parseWorkshop', () => {
  it('pairs each sh block with the text block right after it, and keeps no-run blocks out of the run', () => {
    const doc = [
      '# Title',
      `${fence}sh`,
      'echo hi',
      fence,
      '',
      `${fence}text`,
      'hi',
      fence,
      `${fence}sh`,
      'export A=1',
      fence,
      `${fence}yaml`,
      'a: 1',
      fence,
      `${fence}sh no-run`,
      'xdg-open http://127.0.0.1:8090/',
      fence,
    ].join('\n');
    expect(parseWorkshop(doc)).toEqual([
      { line: 2, script: 'echo hi', expected: 'hi', expectedLine: 6, run: true },
      { line: 9, script: 'export A=1', expected: '', expectedLine: null, run: true },
      { line: 15, script: 'xdg-open http://127.0.0.1:8090/', expected: '', expectedLine: null, run: false },
    ]);
  });

  it('names the line of a text block that follows no command, of an unknown flag, of an open fence', () => {
    expect(() => parseWorkshop(['intro', `${fence}text`, 'x', fence].join('\n'), 'w.md')).toThrow(
      /^w\.md:2: a text block that does not follow a command block/,
    );
    expect(() => parseWorkshop([`${fence}sh`, 'a', fence, 'prose', `${fence}text`, 'x', fence].join('\n'))).toThrow(
      /docs\/workshop\.md:5: a text block/,
    );
    expect(() => parseWorkshop([`${fence}sh norun`, 'a', fence].join('\n'))).toThrow(/:1: unknown flag norun/);
    expect(() => parseWorkshop(['', `${fence}sh`, 'a'].join('\n'))).toThrow(/:2: this code block is never closed/);
  });

  it('reads docs/workshop.md: commands to run, each with its expected output', () => {
    const steps = parseWorkshop(readFileSync(new URL('../../docs/workshop.md', import.meta.url), 'utf8'));
    expect(steps.filter((s) => s.run).length).toBeGreaterThan(10);
    expect(steps.some((s) => !s.run)).toBe(true);
    expect(steps.find((s) => s.run)?.script).toContain('cnpaas up');
  });
});

describe('matchOutput', () => {
  it('matches text exactly, ignoring trailing spaces, colours and surrounding blank lines', () => {
    expect(matchOutput('a b\nc', '\n\x1b[1ma b\x1b[0m  \nc\n\n', none).ok).toBe(true);
    expect(matchOutput('a b\nc', 'a b\nd', none).ok).toBe(false);
    expect(matchOutput('', '', none).ok).toBe(true);
    expect(matchOutput('', 'something', none).ok).toBe(false);
  });

  it('lets runs of spaces differ in length, but not vanish', () => {
    expect(matchOutput('NAME   AGE', 'NAME        AGE', none).ok).toBe(true);
    expect(matchOutput('NAME   AGE', 'NAMEAGE', none).ok).toBe(false);
  });

  it('… is any text within a line, ⋮ any number of lines', () => {
    expect(matchOutput('✓ store ready (… s)', '✓ store ready (0.4 s)', none).ok).toBe(true);
    expect(matchOutput('✓ store ready (… s)', '✓ store ready (0.4 s)\nmore', none).ok).toBe(false);
    expect(matchOutput('first\n⋮\nlast', 'first\nlast', none).ok).toBe(true);
    expect(matchOutput('first\n⋮\nlast', 'first\n1\n2\nlast', none).ok).toBe(true);
    expect(matchOutput('first\n⋮', 'first\nanything', none).ok).toBe(true);
    expect(matchOutput('⋮\nlast', 'first\nnot last', none).ok).toBe(false);
  });

  it('binds <name> to one word, holds it to that word later, and keeps kubectl’s <none> literal', () => {
    const first = matchOutput('tenant t-<ns> in t-<ns>', 'tenant t-0123abcd in t-0123abcd', none);
    expect(first).toEqual({ ok: true, bindings: new Map([['ns', '0123abcd']]) });
    expect(matchOutput('tenant t-<ns> in t-<ns>', 'tenant t-0123abcd in t-ffff', none).ok).toBe(false);
    const bound = first.ok ? first.bindings : none;
    expect(matchOutput('namespace t-<ns>', 'namespace t-0123abcd', bound).ok).toBe(true);
    expect(matchOutput('namespace t-<ns>', 'namespace t-99', bound).ok).toBe(false);
    expect(matchOutput('<uid>', 'two words', none).ok).toBe(false);
    expect(matchOutput('EXTERNAL-IP <none>', 'EXTERNAL-IP <none>', none).ok).toBe(true);
    expect(matchOutput('EXTERNAL-IP <none>', 'EXTERNAL-IP 10.0.0.1', none).ok).toBe(false);
  });

  it('says which expected line differs, and shows both texts', () => {
    const result = matchOutput('a\nb <x>\nc', 'a\nB 1\nc', none);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.diff).toContain('expected line 2 differs from output line 2:\n  expected: b <x>\n  actual:   B 1');
      expect(result.diff).toContain('--- expected\na\nb <x>\nc\n--- actual\na\nB 1\nc');
    }
    const longer = matchOutput('a', 'a\nextra', none);
    expect(!longer.ok && longer.diff).toMatch(/the output goes on after the expected 1 lines, from line 2: extra/);
    const shorter = matchOutput('a\nb', 'a', none);
    expect(!shorter.ok && shorter.diff).toMatch(/expected line 2 is missing/);
  });
});
