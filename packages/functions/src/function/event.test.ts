import { describe, expect, it } from 'vitest';
import { FunctionsError } from '../errors.js';
import { emailObject } from '../test-support.js';
import { parseEmailEvent } from './event.js';

describe('parseEmailEvent', () => {
  it('accepts the Email object and a {type, object} event', () => {
    const email = emailObject();
    const ref = { namespace: email.metadata.namespace, name: email.metadata.name };
    expect(parseEmailEvent(email)).toEqual({ ref, uid: email.metadata.uid, type: undefined });
    expect(parseEmailEvent({ type: 'ADDED', object: email })).toEqual({ ref, uid: email.metadata.uid, type: 'ADDED' });
  });

  it('refuses other kinds and objects without name, namespace or uid (422)', () => {
    for (const body of [
      null,
      [],
      'x',
      { kind: 'Pod', metadata: { name: 'a', namespace: 'b', uid: 'c' } },
      { metadata: { name: 'a', namespace: 'b' } },
      { type: 'ADDED', object: null },
    ]) {
      expect(() => parseEmailEvent(body)).toThrow(FunctionsError);
    }
    try {
      parseEmailEvent({});
    } catch (err) {
      expect((err as FunctionsError).httpStatus).toBe(422);
    }
  });
});
