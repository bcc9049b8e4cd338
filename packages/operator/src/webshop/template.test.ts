import { describe, expect, it } from 'vitest';
import { OperatorError } from '../errors.js';
import { MAX_TEMPLATE_BYTES, placeholderPaths, renderTemplate } from './template.js';

const data = { spec: { firstName: 'Ann', lastName: 'Lee', age: 42, vip: false }, metadata: { name: 't-1' } };

/** The OperatorError `fn` throws; no throw, or anything else thrown, fails the test. */
function problem(fn: () => unknown): OperatorError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(OperatorError);
  return thrown as OperatorError;
}

describe('renderTemplate', () => {
  it('replaces dotted paths, with or without the leading dot and spaces', () => {
    expect(
      renderTemplate({
        template: 'Hi {{ .spec.firstName }} {{spec.lastName}} ({{ .spec.age }}, {{.spec.vip}}) {{ metadata.name }}',
        data,
      }),
    ).toBe('Hi Ann Lee (42, false) t-1');
  });

  it('leaves text without placeholders, and a lone "}}", alone', () => {
    expect(renderTemplate({ template: 'plain }} text', data })).toBe('plain }} text');
  });

  it('reports every unknown placeholder with its line and column, and lists the known ones', () => {
    const err = problem(() =>
      renderTemplate({
        template: 'Hi {{ .spec.fristName }}\nand {{ .spec.nope }}',
        data,
        source: 'EmailTemplate x/y spec.body',
      }),
    );
    expect(err.code).toBe('CNPAAS_OPERATOR_TEMPLATE');
    expect(err.message).toContain('EmailTemplate x/y spec.body');
    expect(err.message).toContain('line 1, column 4: {{ .spec.fristName }} unknown placeholder');
    expect(err.message).toContain('line 2, column 5: {{ .spec.nope }} unknown placeholder');
    expect(err.hint).toContain('.spec.firstName');
  });

  it('refuses expressions, function calls and prototype lookups (no eval)', () => {
    for (const bad of [
      '{{ .spec.firstName | upper }}',
      '{{ constructor }}',
      '{{ .__proto__ }}',
      '{{ .spec.firstName.constructor }}',
      '{{ process.exit() }}',
      '{{ }}',
    ]) {
      expect(() => renderTemplate({ template: bad, data }), bad).toThrow(OperatorError);
    }
  });

  it('refuses a path that names an object rather than a value', () => {
    expect(problem(() => renderTemplate({ template: '{{ .spec }}', data })).message).toContain(
      'names an object, not a value',
    );
  });

  it('refuses an unclosed "{{"', () => {
    expect(problem(() => renderTemplate({ template: 'Hi {{ .spec.firstName', data })).message).toContain(
      '"{{" is not closed',
    );
    expect(problem(() => renderTemplate({ template: '{{ .spec.firstName }} {{ oops', data })).message).toContain(
      'line 1, column 23',
    );
  });

  it('escapes values (not the template) in HTML mode', () => {
    const html = renderTemplate({
      template: '<p>{{ .spec.firstName }}</p>',
      data: { spec: { firstName: '<b>"A&B"</b>' } },
      escape: 'html',
    });
    expect(html).toBe('<p>&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</p>');
  });

  it('placeholderPaths lists every leaf', () => {
    expect(placeholderPaths(data)).toEqual([
      '.spec.firstName',
      '.spec.lastName',
      '.spec.age',
      '.spec.vip',
      '.metadata.name',
    ]);
  });
});

describe('renderTemplate on pathological input', () => {
  // Correctness bounds, not benchmarks: the renderer used to rescan the template for every
  // placeholder or unclosed "{{" (a 256 KiB template held the operator's event loop for seconds).
  const elapsed = (fn: () => unknown): number => {
    const started = performance.now();
    try {
      fn();
    } catch {
      // the error is checked separately
    }
    return performance.now() - started;
  };
  const fill = (unit: string, bytes: number): string => unit.repeat(Math.floor(bytes / unit.length));

  it('renders a maximum-size template with thousands of placeholders in one pass', () => {
    const template = fill('{{ .spec.firstName }}\n', MAX_TEMPLATE_BYTES);
    expect(Buffer.byteLength(template)).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
    let out = '';
    expect(elapsed(() => (out = renderTemplate({ template, data, escape: 'html' })))).toBeLessThan(1_000);
    expect(out).toBe(fill('Ann\n', (MAX_TEMPLATE_BYTES / 22) * 4));
  });

  it('reports a maximum-size template of unknown placeholders quickly, listing the first problems and counting the rest', () => {
    const template = fill('{{ .spec.nope }}\n', MAX_TEMPLATE_BYTES);
    expect(elapsed(() => renderTemplate({ template, data }))).toBeLessThan(1_000);
    const err = problem(() => renderTemplate({ template, data }));
    expect(err.message).toContain('line 1, column 1: {{ .spec.nope }} unknown placeholder');
    expect(err.message).toContain('line 20, column 1: {{ .spec.nope }} unknown placeholder');
    expect(err.message).not.toContain('line 21,');
    expect(err.message).toContain(`and ${Math.floor(MAX_TEMPLATE_BYTES / 17) - 20} more`);
    // It ends up in a condition message, which the CRDs cap at 32768 characters.
    expect(err.message.length).toBeLessThan(4_096);
  });

  it('refuses a template over the bound before looking at it, naming the size and the limit', () => {
    for (const unit of ['{{ .spec.nope }}\n', '{{ ']) {
      const template = fill(unit, 256 * 1024);
      expect(elapsed(() => renderTemplate({ template, data }))).toBeLessThan(1_000);
      const err = problem(() => renderTemplate({ template, data, source: 'EmailTemplate x/y spec.body' }));
      expect(err.message).toBe(
        `EmailTemplate x/y spec.body: ${template.length} bytes, more than the ${MAX_TEMPLATE_BYTES} bytes a template may have`,
      );
      expect(err.hint).toContain('64 KiB');
    }
  });
});
