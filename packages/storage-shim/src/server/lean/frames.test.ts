import { describe, expect, it } from 'vitest';
import { FrameError, MessageReader, frameMessage, parseGrpcTimeout } from './frames.js';

const msg = (text: string) => Buffer.from(text);

describe('MessageReader', () => {
  it('returns several messages carried by one chunk, in order', () => {
    const reader = new MessageReader(1024);
    const chunk = Buffer.concat([frameMessage(msg('one')), frameMessage(msg('')), frameMessage(msg('three'))]);
    expect(reader.push(chunk).map(String)).toEqual(['one', '', 'three']);
    expect(reader.pendingBytes).toBe(0);
  });

  it('reassembles a message split anywhere, the 5-byte prefix included', () => {
    const framed = Buffer.concat([frameMessage(msg('hello world')), frameMessage(msg('next'))]);
    for (let cut1 = 1; cut1 < framed.length - 1; cut1++) {
      for (const cut2 of [cut1 + 1, framed.length - 1]) {
        const reader = new MessageReader(1024);
        const out = [
          ...reader.push(framed.subarray(0, cut1)),
          ...reader.push(framed.subarray(cut1, cut2)),
          ...reader.push(framed.subarray(cut2)),
        ];
        expect(out.map(String), `cuts at ${cut1} and ${cut2}`).toEqual(['hello world', 'next']);
        expect(reader.pendingBytes).toBe(0);
      }
    }
  });

  it('keeps an incomplete message pending until its last byte', () => {
    const reader = new MessageReader(1 << 20);
    const framed = frameMessage(Buffer.alloc(100_000, 'x'));
    let got: Buffer[] = [];
    for (let at = 0; at < framed.length; at += 16_384) got = got.concat(reader.push(framed.subarray(at, at + 16_384)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(Buffer.alloc(100_000, 'x'))).toBe(true);
  });

  it('refuses a message longer than the limit as soon as its prefix arrives, with grpc-js’s text', () => {
    const reader = new MessageReader(10);
    const prefix = Buffer.from([0, 0, 0, 0, 11]);
    expect(() => reader.push(prefix)).toThrow(new FrameError(8, 'Received message larger than max (11 vs 10)'));
    expect(new MessageReader(10).push(frameMessage(Buffer.alloc(10)))).toHaveLength(1);
  });

  it('refuses a compressed message (the lean path serves only calls without an encoding)', () => {
    const framed = frameMessage(msg('x'));
    framed[0] = 1;
    try {
      new MessageReader(10).push(framed);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FrameError);
      expect((err as FrameError).code).toBe(13);
    }
  });
});

describe('parseGrpcTimeout', () => {
  it('reads every unit of the gRPC spec', () => {
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('5S')).toBe(5000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(1);
    expect(parseGrpcTimeout('99999999n')).toBe(99);
  });

  it('refuses a value without digits and a unit', () => {
    for (const bad of ['', '5', 'S', '5s', 'soon']) expect(parseGrpcTimeout(bad), bad).toBeUndefined();
  });
});
