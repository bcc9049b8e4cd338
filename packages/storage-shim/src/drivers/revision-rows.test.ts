import { describe, expect, it } from 'vitest';
import { packRevisionRows, unpackRevisionRows } from './revision-rows.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('revision rows packed for the crossing from the worker', () => {
  it('keeps every byte and number of the rows, in order, as the clients return them', () => {
    const rows = [
      // node-postgres: BIGINTs as text, no lease as null.
      {
        key: b('\x00\xff'),
        create_revision: '2',
        mod_revision: '9007199254740991',
        version: '1',
        lease: null,
        value: b(''),
      },
      // Structured clone hands the worker's Buffers over as Uint8Arrays; lease IDs are signed 64-bit.
      {
        key: new Uint8Array(b('/registry/k')),
        create_revision: '3',
        mod_revision: '4',
        version: '2',
        lease: '-9223372036854775808',
        value: new Uint8Array(b('\xff\x00\xfe')),
      },
      {
        key: b('k2'),
        create_revision: 5,
        mod_revision: 6,
        version: 7,
        lease: '9223372036854775807',
        value: b('v'.repeat(70_000)),
      },
    ];
    const packed = packRevisionRows(rows);
    expect(unpackRevisionRows(packed)).toEqual([
      { key: b('\x00\xff'), createRevision: 2, modRevision: 9007199254740991, version: 1, lease: 0n, value: b('') },
      {
        key: b('/registry/k'),
        createRevision: 3,
        modRevision: 4,
        version: 2,
        lease: -9223372036854775808n,
        value: b('\xff\x00\xfe'),
      },
      {
        key: b('k2'),
        createRevision: 5,
        modRevision: 6,
        version: 7,
        lease: 9223372036854775807n,
        value: b('v'.repeat(70_000)),
      },
    ]);
  });

  it('packs no rows into an empty buffer, and every key and value unpacked is a view of the one buffer', () => {
    expect(unpackRevisionRows(packRevisionRows([]))).toEqual([]);
    const packed = packRevisionRows([
      { key: b('a'), create_revision: '1', mod_revision: '1', version: '1', lease: null, value: b('x') },
    ]);
    const [kv] = unpackRevisionRows(packed);
    expect(kv!.key.buffer).toBe(packed);
    expect(kv!.value.buffer).toBe(packed);
  });
});
