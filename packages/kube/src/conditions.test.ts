import { describe, expect, it } from 'vitest';
import { getCondition, isConditionTrue, removeCondition, setCondition, type Condition } from './conditions.js';

const t0 = new Date('2025-01-01T00:00:00.250Z');
const t1 = new Date('2025-01-01T00:05:00Z');

describe('setCondition', () => {
  it('appends a new condition with lastTransitionTime in whole seconds', () => {
    const r = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', observedGeneration: 1 },
      { now: t0 },
    );
    expect(r.changed).toBe(true);
    expect(r.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Pending',
        message: 'waiting',
        observedGeneration: 1,
        lastTransitionTime: '2025-01-01T00:00:00Z',
      },
    ]);
  });

  it('reports no change, and keeps the same objects, when nothing differs', () => {
    const done = { type: 'Ready', status: 'True', reason: 'Done', message: '', observedGeneration: 2 } as const;
    const first = setCondition([], done, { now: t0 });
    const again = setCondition(first.conditions, { ...done }, { now: t1 });
    expect(again.changed).toBe(false);
    expect(again.conditions[0]).toBe(first.conditions[0]);
  });

  it('keeps lastTransitionTime when only reason, message or observedGeneration change', () => {
    const a = { type: 'Ready', status: 'False', reason: 'A', message: 'a', observedGeneration: 1 } as const;
    const first = setCondition([], a, { now: t0 });
    const b = { ...a, reason: 'B', message: 'b', observedGeneration: 2 };
    const next = setCondition(first.conditions, b, { now: t1 });
    expect(next.changed).toBe(true);
    expect(next.conditions[0]).toMatchObject({
      reason: 'B',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: '2025-01-01T00:00:00Z',
    });
    const gen = setCondition(next.conditions, { ...b, observedGeneration: 3 }, { now: t1 });
    expect(gen.changed).toBe(true);
    expect(gen.conditions[0]?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
  });

  it('moves lastTransitionTime when status flips', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'A', message: '' }, { now: t0 });
    const flipped = setCondition(
      first.conditions,
      { type: 'Ready', status: 'True', reason: 'A', message: '' },
      { now: t1 },
    );
    expect(flipped.changed).toBe(true);
    expect(flipped.conditions[0]?.lastTransitionTime).toBe('2025-01-01T00:05:00Z');
  });

  it('keeps other conditions and their order, and never mutates the input', () => {
    const input: Condition[] = [
      { type: 'A', status: 'True', reason: 'R', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
      { type: 'B', status: 'True', reason: 'R', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ];
    const frozen = structuredClone(input);
    const r = setCondition(input, { type: 'A', status: 'False', reason: 'R', message: '' }, { now: t1 });
    expect(r.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['A=False', 'B=True']);
    expect(input).toEqual(frozen);
  });
});

describe('condition readers', () => {
  const conditions: Condition[] = [
    { type: 'Ready', status: 'True', reason: 'R', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
  ];

  it('get and isTrue', () => {
    expect(getCondition(conditions, 'Ready')?.reason).toBe('R');
    expect(getCondition(conditions, 'Other')).toBeUndefined();
    expect(isConditionTrue(conditions, 'Ready')).toBe(true);
    expect(isConditionTrue(conditions, 'Other')).toBe(false);
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
  });

  it('remove reports whether it removed', () => {
    expect(removeCondition(conditions, 'Ready')).toEqual({ conditions: [], changed: true });
    expect(removeCondition(conditions, 'Other').changed).toBe(false);
  });
});
