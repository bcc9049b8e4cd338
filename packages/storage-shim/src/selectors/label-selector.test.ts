import { describe, expect, it } from 'vitest';
import { SelectorSyntaxError, parseLabelSelector } from './label-selector.js';

/**
 * Cases written from the behaviour of k8s.io/apimachinery/pkg/labels
 * (`labels.Parse`, `Requirement.Matches`): which strings parse, into what,
 * and which label sets they select. Our own cases, not a copy of its tests.
 */

const labels = (o: Record<string, string>) => new Map(Object.entries(o));

function matches(selector: string, set: Record<string, string>): boolean {
  return parseLabelSelector(selector).matches(labels(set));
}

describe('label selector parsing', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: '==', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: '!=', values: ['web'] }]],
    ['app', [{ key: 'app', operator: 'exists', values: [] }]],
    ['!app', [{ key: 'app', operator: '!', values: [] }]],
    [' ! app ', [{ key: 'app', operator: '!', values: [] }]],
    ['app in (a,b)', [{ key: 'app', operator: 'in', values: ['a', 'b'] }]],
    ['app notin (b, a)', [{ key: 'app', operator: 'notin', values: ['a', 'b'] }]],
    ['tier>3', [{ key: 'tier', operator: '>', values: ['3'] }]],
    ['tier<10', [{ key: 'tier', operator: '<', values: ['10'] }]],
    // An exact value may be empty: `app=` selects objects whose label is "".
    ['app=', [{ key: 'app', operator: '=', values: [''] }]],
    [
      'app=,b',
      [
        { key: 'app', operator: '=', values: [''] },
        { key: 'b', operator: 'exists', values: [] },
      ],
    ],
    // `()` and empty entries in a set stand for the empty value.
    ['app in ()', [{ key: 'app', operator: 'in', values: [''] }]],
    ['app in (,a)', [{ key: 'app', operator: 'in', values: ['', 'a'] }]],
    ['app in (a,,b)', [{ key: 'app', operator: 'in', values: ['', 'a', 'b'] }]],
    ['app in (a,)', [{ key: 'app', operator: 'in', values: ['', 'a'] }]],
    // `in` and `notin` are keywords only where an operator goes: elsewhere they are names and values.
    ['in=notin', [{ key: 'in', operator: '=', values: ['notin'] }]],
    ['in in (in,notin)', [{ key: 'in', operator: 'in', values: ['in', 'notin'] }]],
    ['example.com/app=web', [{ key: 'example.com/app', operator: '=', values: ['web'] }]],
    [
      'a=1,!b,c notin (x),d',
      [
        { key: 'a', operator: '=', values: ['1'] },
        { key: 'b', operator: '!', values: [] },
        { key: 'c', operator: 'notin', values: ['x'] },
        { key: 'd', operator: 'exists', values: [] },
      ],
    ],
    // kube-controller-manager's metadata informers under HariKube's patch.
    [
      '!skip-controller-manager-metadata-caching',
      [{ key: 'skip-controller-manager-metadata-caching', operator: '!', values: [] }],
    ],
  ])('parses %j', (selector, requirements) => {
    expect(parseLabelSelector(selector).requirements).toEqual(requirements);
  });

  it.each([
    ['app=a=b', /found '=', expected: ',' or 'end of string'/],
    ['app==', null],
    ['app=web,', /expected: identifier after ','/],
    [',app', /expected: !, identifier, or 'end of string'/],
    ['app in a', /expected: '\('/],
    ['app in (a', /expected: ',' or '\)'/],
    ['app in (a b)', /expected: ',' or '\)'/],
    ['app notin', /expected: '\('/],
    ['app >= 1', /expected: identifier/],
    ['app gt 1', /found 'gt', expected: in, notin, =, ==, !=, gt, lt/],
    ['app>x', /must be an integer/],
    ['app<', /must be an integer/],
    ['app>99999999999999999999', /must be an integer/],
    ['!app=x', /found '=', expected: ',' or 'end of string'/],
    ['app !', /expected: in, notin/],
    ['!', /expected: identifier/],
    ['-app=x', /name part must consist of alphanumeric/],
    ['a/b/c=x', /qualified name/],
    ['/app=x', /prefix part must be non-empty/],
    ['Example.com/app=x', /DNS subdomain/],
    [`${'a'.repeat(64)}=x`, /no more than 63 characters/],
    ['app=-x', /valid label value/],
    [`app=${'v'.repeat(64)}`, /no more than 63 characters/],
    ['app in (a,-b)', /valid label value/],
    ['app=x y', /found 'y', expected: ',' or 'end of string'/],
    ['app=(x)', /expected: identifier/],
  ])('refuses %j', (selector, reason) => {
    // `app==` is valid (an empty value); kept here to pin that it is not refused.
    if (reason === null) {
      expect(parseLabelSelector(selector).requirements).toEqual([{ key: 'app', operator: '==', values: [''] }]);
      return;
    }
    expect(() => parseLabelSelector(selector)).toThrow(SelectorSyntaxError);
    expect(() => parseLabelSelector(selector)).toThrow(reason);
  });
});

describe('label selector matching', () => {
  it.each<[string, Record<string, string>[], Record<string, string>[]]>([
    // selector, the label sets it matches, those it does not
    ['', [{}], []],
    ['app=web', [{ app: 'web' }], [{ app: 'db' }, {}]],
    ['app==web', [{ app: 'web', x: 'y' }], []],
    // `!=` and `notin` select objects without the label (Kubernetes semantics).
    ['app!=web', [{}, { app: 'db' }], [{ app: 'web' }]],
    ['app notin (a,b)', [{}, { app: 'c' }], [{ app: 'b' }]],
    ['app in (a,b)', [{ app: 'a' }], [{}, { app: 'c' }]],
    ['app', [{ app: '' }], [{}]],
    // `!key` holds for an object with no labels and for one with many others.
    ['!app', [{}, { a: '1', b: '2', c: '3' }], [{ app: '' }]],
    ['app=', [{ app: '' }], [{}]],
    ['app in ()', [{ app: '' }], [{ app: 'x' }]],
    // `>` and `<` compare 64-bit integers; a label that is not one never matches.
    ['tier>3', [{ tier: '4' }, { tier: '10' }], [{ tier: '3' }, { tier: 'four' }, {}]],
    ['tier<10', [{ tier: '9' }, { tier: '-5' }, { tier: '007' }], []],
    ['tier<3', [], [{}, { tier: '99999999999999999999' }]],
    ['tier>9007199254740992', [{ tier: '9007199254740993' }], []],
    // Every requirement must hold.
    [
      'a=1,b!=2,!c',
      [{ a: '1' }],
      [
        { a: '1', b: '2' },
        { a: '1', c: '' },
      ],
    ],
    ['a=1,a=2', [], [{ a: '1' }]],
  ])('%j matches %j, not %j', (selector, matching, other) => {
    for (const set of matching) expect(matches(selector, set), JSON.stringify(set)).toBe(true);
    for (const set of other) expect(matches(selector, set), JSON.stringify(set)).toBe(false);
  });
});
