import { status } from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { EtcdError } from '../errors.js';
import { compileSelector } from './selector.js';
import { readStoredObject } from './stored-object.js';

const json = (o: unknown) => Buffer.from(JSON.stringify(o));

const shirt = json({
  apiVersion: 'shop.example.com/v1',
  kind: 'Shirt',
  metadata: { name: 's1', namespace: 'default', labels: { color: 'blue', size: 'M' } },
  spec: { color: 'blue', size: 7, onSale: false, tags: ['a'], owner: { name: 'x' }, price: 1.5 },
});

function mayMatch(labelSelector: string, fieldSelector: string, value: Buffer): boolean {
  const s = compileSelector({ labelSelector, fieldSelector });
  if (!s) throw new Error('expected a selector');
  return s.mayMatch(value);
}

describe('compileSelector', () => {
  it('is undefined when a request selects everything', () => {
    expect(compileSelector({})).toBeUndefined();
    expect(compileSelector({ labelSelector: '', fieldSelector: '' })).toBeUndefined();
    expect(compileSelector({ labelSelector: '  ' })).toBeUndefined();
  });

  it('returns the same parsed selector for the same strings', () => {
    expect(compileSelector({ labelSelector: 'a=1' })).toBe(compileSelector({ labelSelector: 'a=1' }));
  });

  it('refuses a bad selector with INVALID_ARGUMENT, its code, the selector and the reason', () => {
    const err = (() => {
      try {
        compileSelector({ labelSelector: 'app in a' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EtcdError);
    expect((err as EtcdError).code).toBe(status.INVALID_ARGUMENT);
    expect((err as EtcdError).message).toBe(
      `cnpaas-store: CNPAAS_STORE_BAD_SELECTOR: invalid label selector "app in a": found 'a', expected: '('; write it as kubectl accepts it (docs/errors.md, CNPAAS_STORE_BAD_SELECTOR)`,
    );
    expect(() => compileSelector({ fieldSelector: 'spec.x=a\\q' })).toThrow(
      /CNPAAS_STORE_BAD_SELECTOR: invalid field selector "spec\.x=a\\\\q": invalid escape sequence/,
    );
  });
});

describe('selecting stored objects', () => {
  it.each([
    ['color=blue', '', true],
    ['color=red', '', false],
    ['color!=red,size in (S,M)', '', true],
    ['!color', '', false],
    ['missing!=x', '', true],
    ['', 'metadata.name=s1', true],
    ['', 'metadata.name=s2', false],
    ['', 'metadata.namespace=default,metadata.name!=s1', false],
    ['', 'spec.color=blue', true],
    ['', 'spec.color=blu', false],
    // Kubernetes' string form of a field: integers in decimal, booleans as true/false.
    ['', 'spec.size=7', true],
    ['', 'spec.size=07', false],
    ['', 'spec.onSale=false', true],
    ['', 'spec.onSale=true', false],
    // Values that are no field's string form, and missing paths, are unknown: kept.
    ['', 'spec.tags=a', true],
    ['', 'spec.owner=x', true],
    ['', 'spec.price=1', true],
    ['', 'status.phase=Done', true],
    ['', 'status.phase!=Done', true],
    // Both selectors must hold.
    ['color=blue', 'metadata.name=s2', false],
    ['color=red', 'metadata.name=s1', false],
    ['color=blue', 'metadata.name=s1', true],
  ])('label %j field %j on a JSON object: %s', (label, field, expected) => {
    expect(mayMatch(label, field, shirt)).toBe(expected);
  });

  it('reads a missing name or namespace as "" (a cluster-scoped object has no namespace)', () => {
    const ns = json({ kind: 'Namespace', metadata: { name: 'n1' } });
    expect(mayMatch('', 'metadata.namespace=', ns)).toBe(true);
    expect(mayMatch('', 'metadata.namespace=default', ns)).toBe(false);
    expect(mayMatch('', 'metadata.namespace!=default', ns)).toBe(true);
  });

  it('treats an object without labels as having none', () => {
    const bare = json({ kind: 'ConfigMap', metadata: { name: 'c' } });
    expect(mayMatch('!skip-controller-manager-metadata-caching', '', bare)).toBe(true);
    expect(mayMatch('app!=x', '', bare)).toBe(true);
    expect(mayMatch('app', '', bare)).toBe(false);
    expect(mayMatch('app', '', json({ metadata: { labels: null } }))).toBe(false);
  });

  it('keeps every value it cannot read: protobuf, non-JSON, non-objects, odd labels', () => {
    const protobuf = Buffer.concat([Buffer.from('k8s\x00'), Buffer.from([0x0a, 0x0b, 0x0a, 0x02, 0x76, 0x31])]);
    for (const value of [
      protobuf,
      Buffer.from('not json'),
      Buffer.from('{"truncated":'),
      Buffer.from('[1,2]'),
      Buffer.alloc(0),
    ]) {
      expect(mayMatch('color=red', 'metadata.name=nope', value), value.toString()).toBe(true);
    }
    // Labels that are not a map of strings cannot be judged; the fields still can.
    for (const value of [json({ metadata: { labels: { color: 1 } } }), json({ metadata: { labels: 'x' } })]) {
      expect(mayMatch('color=red', '', value)).toBe(true);
      expect(mayMatch('color=red', 'metadata.name=nope', value)).toBe(false);
    }
    expect(mayMatch('color=red', '', json({ metadata: 'x' }))).toBe(true);
  });

  it('reads fields by own property only', () => {
    const o = readStoredObject(json({ metadata: { name: 'a' } }))!;
    expect(o.field('metadata.constructor')).toBeUndefined();
    expect(o.field('toString')).toBeUndefined();
  });
  it('parses a value once however many selectors read it (one Buffer, many watchers)', () => {
    const spy = vi.spyOn(JSON, 'parse');
    try {
      const value = json({ metadata: { name: 'n', labels: { node: 'a' } } });
      const selectors = ['node=a', 'node=b', 'node!=c', '!node'].map((l) => compileSelector({ labelSelector: l })!);
      expect(selectors.map((s) => s.mayMatch(value))).toEqual([true, false, true, false]);
      expect(spy).toHaveBeenCalledTimes(1);
      // A copy with other bytes is its own value.
      const other = json({ metadata: { name: 'n', labels: { node: 'b' } } });
      expect(selectors.map((s) => s.mayMatch(other))).toEqual([false, true, true, false]);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});
