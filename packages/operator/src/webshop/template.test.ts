import { describe, expect, it } from 'vitest';
import { OperatorError } from '../errors.js';
import { placeholderPaths, renderTemplate } from './template.js';

const data = { spec: { firstName: 'Ann', lastName: 'Lee', age: 42, vip: false }, metadata: { name: 't-1' } };

function problem(fn: () => unknown): OperatorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OperatorError) return err;
    throw err;
  }
  throw new Error('expected an OperatorError');
}

describe('renderTemplate', () => {
  it('replaces dotted paths, with or without the leading dot and spaces', () => {
    expect(renderTemplate({ template: 'Hi {{ .spec.firstName }} {{spec.lastName}} ({{ .spec.age }}, {{.spec.vip}}) {{ metadata.name }}', data })).toBe('Hi Ann Lee (42, false) t-1');
  });

  it('leaves text without placeholders, and a lone "}}", alone', () => {
    expect(renderTemplate({ template: 'plain }} text', data })).toBe('plain }} text');
  });

  it('reports every unknown placeholder with its line and column, and lists the known ones', () => {
    const err = problem(() => renderTemplate({ template: 'Hi {{ .spec.fristName }}\nand {{ .spec.nope }}', data, source: 'EmailTemplate x/y spec.body' }));
    expect(err.code).toBe('CNPAAS_OPERATOR_TEMPLATE');
    expect(err.message).toContain('EmailTemplate x/y spec.body');
    expect(err.message).toContain('line 1, column 4: {{ .spec.fristName }} unknown placeholder');
    expect(err.message).toContain('line 2, column 5: {{ .spec.nope }} unknown placeholder');
    expect(err.hint).toContain('.spec.firstName');
  });

  it('refuses expressions, function calls and prototype lookups (no eval)', () => {
    for (const bad of ['{{ .spec.firstName | upper }}', '{{ constructor }}', '{{ .__proto__ }}', '{{ .spec.firstName.constructor }}', '{{ process.exit() }}', '{{ }}']) {
      expect(() => renderTemplate({ template: bad, data }), bad).toThrow(OperatorError);
    }
  });

  it('refuses a path that names an object rather than a value', () => {
    expect(problem(() => renderTemplate({ template: '{{ .spec }}', data })).message).toContain('names an object, not a value');
  });

  it('refuses an unclosed "{{"', () => {
    expect(problem(() => renderTemplate({ template: 'Hi {{ .spec.firstName', data })).message).toContain('"{{" is not closed');
    expect(problem(() => renderTemplate({ template: '{{ .spec.firstName }} {{ oops', data })).message).toContain('line 1, column 23');
  });

  it('escapes values (not the template) in HTML mode', () => {
    const html = renderTemplate({ template: '<p>{{ .spec.firstName }}</p>', data: { spec: { firstName: '<b>"A&B"</b>' } }, escape: 'html' });
    expect(html).toBe('<p>&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</p>');
  });

  it('placeholderPaths lists every leaf', () => {
    expect(placeholderPaths(data)).toEqual(['.spec.firstName', '.spec.lastName', '.spec.age', '.spec.vip', '.metadata.name']);
  });
});
