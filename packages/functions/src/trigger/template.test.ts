import { thrownBy } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { FunctionsError } from '../errors.js';
import { MAX_RENDERED_BYTES, compileTemplate } from './template.js';

const event = {
  type: 'ADDED',
  synthetic: false,
  object: {
    kind: 'Email',
    metadata: {
      name: 'ada-welcome',
      namespace: 't-1',
      uid: 'u-1',
      generation: 2,
      labels: { 'app.kubernetes.io/name': 'shop' },
      tags: ['a', 'b'],
    },
    spec: { subject: 'Hi "you"\n', empty: '', nothing: null },
  },
};

const render = (source: string, data: unknown = event) => compileTemplate(source).render(data);

const compileError = (source: string): FunctionsError => thrownBy(FunctionsError, () => compileTemplate(source));

describe('body template', () => {
  it.each([
    ['{{ .type }}/{{.object.metadata.name}}', 'ADDED/ada-welcome'],
    ['{{ quote .object.spec.subject }}', '"Hi \\"you\\"\\n"'],
    ['{{ quote .object.metadata.generation }}', '"2"'],
    ['{{ index .object.metadata.labels "app.kubernetes.io/name" }}', 'shop'],
    ['{{ index .object.metadata.tags 1 }}', 'b'],
    ['{{ default "none" .object.spec.empty }}|{{ default "none" .object.spec.subject }}', 'none|Hi "you"\n'],
    ['{{ quote (index .object.metadata.labels "app.kubernetes.io/name") }}', '"shop"'],
    [
      '{{ .object.metadata.generation }} {{ .synthetic }} {{ .object.metadata }}',
      `2 false ${JSON.stringify(event.object.metadata)}`,
    ],
    // Missing values: empty, null in toJson, "" in quote.
    ['[{{ .object.nope.deeper }}]', '[]'],
    ['{{ toJson .object.nope }}', 'null'],
    ['{{ quote .object.spec.nothing }}', '""'],
  ])('renders %s as %j', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  it('renders toJson of a value and of the whole event', () => {
    expect(JSON.parse(render('{{ toJson .object.metadata.tags }}'))).toEqual(['a', 'b']);
    expect(JSON.parse(render('{{ toJson . }}'))).toEqual(event);
  });

  it('builds valid JSON from untrusted strings with quote (no injection)', () => {
    const evil = { object: { metadata: { name: 'x", "admin": true, "y": "' } } };
    const body = JSON.parse(render('{"name": {{ quote .object.metadata.name }}}', evil));
    expect(body).toEqual({ name: 'x", "admin": true, "y": "' });
    expect(Object.keys(body)).toEqual(['name']);
  });

  it('never reads through prototypes', () => {
    expect(render('[{{ .constructor }}][{{ .object.toString }}][{{ .__proto__ }}]')).toBe('[][][]');
    expect(render('{{ index . "constructor" }}')).toBe('');
    const own = JSON.parse('{"__proto__": {"x": 1}}');
    expect(render('{{ toJson .__proto__ }}', own)).toBe('{"x":1}');
  });

  it('keeps text between actions, literal braces through a string action', () => {
    expect(render('a } b {{ "{{" }} c }} d')).toBe('a } b {{ c }} d');
    expect(render('{{ "a}}b" }}')).toBe('a}}b');
    expect(render('no actions at all')).toBe('no actions at all');
  });

  it('reports the line and column of a broken action', () => {
    expect(compileError('line one\n  {{ .object').message).toMatch(/line 2 column 3: "\{\{" without a matching "\}\}"/);
    expect(compileError('{{ }}').message).toMatch(/empty action/);
    expect(compileError('{{ eval .x }}').message).toMatch(/line 1 column 4: unknown function "eval"/);
    expect(compileError('{{ toJson }}').message).toMatch(/toJson needs an argument/);
    expect(compileError('{{ toJson .a .b }}').message).toMatch(/takes one argument/);
    expect(compileError('{{ .a-b }}').message).toMatch(/use index/);
    expect(compileError('{{ .a .b }}').message).toMatch(/unexpected/);
    expect(compileError('{{ (quote .a }}').message).toMatch(/without a matching "\)"/);
    expect(compileError('{{ require("fs") }}').code).toBe('CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE');
  });

  it('refuses to render more than the limit', () => {
    const big = { s: 'x'.repeat(MAX_RENDERED_BYTES / 2 + 1) };
    expect(render('{{ .s }}', big)).toHaveLength(MAX_RENDERED_BYTES / 2 + 1);
    expect(() => render('{{ .s }}{{ .s }}', big)).toThrow(/exceeds/);
  });
});
