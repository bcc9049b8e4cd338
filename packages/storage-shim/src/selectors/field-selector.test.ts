import { describe, expect, it } from 'vitest';
import { SelectorSyntaxError } from './label-selector.js';
import { parseFieldSelector } from './field-selector.js';

/**
 * Cases written from the behaviour of k8s.io/apimachinery/pkg/fields
 * (`ParseSelector`, `UnescapeValue`, `hasTerm`/`notHasTerm`): terms split on
 * unescaped commas, the leftmost operator wins, `\` escapes `\`, `,` and `=`.
 */

describe('field selector parsing', () => {
  it.each([
    ['', []],
    ['metadata.name=a', [{ field: 'metadata.name', operator: '=', value: 'a' }]],
    ['metadata.name==a', [{ field: 'metadata.name', operator: '=', value: 'a' }]],
    ['metadata.name!=a', [{ field: 'metadata.name', operator: '!=', value: 'a' }]],
    ['metadata.name=', [{ field: 'metadata.name', operator: '=', value: '' }]],
    [
      'metadata.namespace=ns,spec.color!=blue',
      [
        { field: 'metadata.namespace', operator: '=', value: 'ns' },
        { field: 'spec.color', operator: '!=', value: 'blue' },
      ],
    ],
    // Empty terms are skipped.
    [
      'a=1,,b=2,',
      [
        { field: 'a', operator: '=', value: '1' },
        { field: 'b', operator: '=', value: '2' },
      ],
    ],
    // Escapes: the value is "x,y=z\".
    ['spec.v=x\\,y\\=z\\\\', [{ field: 'spec.v', operator: '=', value: 'x,y=z\\' }]],
    // The leftmost operator splits: the field is "a" and the value "=b" would be refused, so escape it.
    ['a=\\=b', [{ field: 'a', operator: '=', value: '=b' }]],
    // `!=` is preferred over `=` at the same position, `==` over `=`.
    ['a!==b', null],
  ])('parses %j', (selector, terms) => {
    if (terms === null) {
      expect(() => parseFieldSelector(selector)).toThrow(/invalid character '='/);
      return;
    }
    expect(parseFieldSelector(selector).terms).toEqual(terms);
  });

  it.each([
    ['metadata.name', /can't understand 'metadata.name'/],
    ['a=1,b', /can't understand 'b'/],
    ['a=b=c', /invalid character '='/],
    ['a=b\\x', /invalid escape sequence '\\x'/],
    ['a=b\\', /invalid escape sequence/],
  ])('refuses %j', (selector, reason) => {
    expect(() => parseFieldSelector(selector)).toThrow(SelectorSyntaxError);
    expect(() => parseFieldSelector(selector)).toThrow(reason);
  });
});

describe('field selector matching', () => {
  const fields = (o: Record<string, string>) => (f: string) => o[f];

  it.each([
    ['metadata.name=a', { 'metadata.name': 'a' }, true],
    ['metadata.name=a', { 'metadata.name': 'ab' }, false],
    // Exact equality, not a substring match.
    ['spec.color=blue', { 'spec.color': 'lightblue' }, false],
    ['metadata.name!=a', { 'metadata.name': 'b' }, true],
    ['metadata.name!=a', { 'metadata.name': 'a' }, false],
    ['metadata.name=a,metadata.namespace=n', { 'metadata.name': 'a', 'metadata.namespace': 'm' }, false],
    // A field the store cannot read (lookup gives undefined) never excludes.
    ['status.successful=1', {}, true],
    ['status.successful!=1', {}, true],
    ['metadata.name=a,status.successful=1', { 'metadata.name': 'b' }, false],
  ])('%j on %j may match: %s', (selector, set, expected) => {
    expect(parseFieldSelector(selector).mayMatch(fields(set))).toBe(expected);
  });
});
