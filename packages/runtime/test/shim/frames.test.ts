import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  encodeHello,
  encodeResize,
  encodeSignal,
  FrameDecoder,
  FrameError,
  FrameType,
} from '../../src/shim/index.js';

describe('attach protocol frames', () => {
  it('encodes type, big-endian length and payload', () => {
    const frame = encodeFrame(FrameType.Stdout, Buffer.from('hi'));
    expect([...frame]).toEqual([0x01, 0, 0, 0, 2, 0x68, 0x69]);
  });

  it('encodes HELLO flags, RESIZE rows/cols and SIGNAL', () => {
    expect([...encodeHello({ replay: true, stdin: false })]).toEqual([0x10, 0, 0, 0, 1, 0x01]);
    expect([...encodeHello({ replay: true, stdin: true })]).toEqual([0x10, 0, 0, 0, 1, 0x03]);
    expect([...encodeResize(40, 300)]).toEqual([0x11, 0, 0, 0, 4, 0, 40, 1, 44]);
    expect([...encodeSignal(9)]).toEqual([0x13, 0, 0, 0, 1, 9]);
    expect(() => encodeResize(70000, 1)).toThrow(RangeError);
    expect(() => encodeSignal(0)).toThrow(RangeError);
  });

  it('decodes frames split at every possible byte boundary', () => {
    const stream = Buffer.concat([
      encodeFrame(FrameType.Stdout, Buffer.from('hello')),
      encodeFrame(FrameType.ReplayEnd),
      encodeFrame(FrameType.Stderr, Buffer.from('oops')),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([
        [FrameType.Stdout, 'hello'],
        [FrameType.ReplayEnd, ''],
        [FrameType.Stderr, 'oops'],
      ]);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time and keeps a partial frame pending', () => {
    const payload = Buffer.alloc(1000, 7);
    const stream = Buffer.concat([
      encodeFrame(FrameType.Stdout, payload),
      encodeFrame(FrameType.Exit, payload),
    ]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < stream.length - 1; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.payload.equals(payload)).toBe(true);
    expect(decoder.pendingBytes).toBe(stream.length - 1 - (5 + payload.length));
    const last = decoder.push(stream.subarray(stream.length - 1));
    expect(last).toHaveLength(1);
    expect(last[0]?.type).toBe(FrameType.Exit);
    expect(last[0]?.payload.equals(payload)).toBe(true);
  });

  it('decodes several frames from one chunk', () => {
    const frames = new FrameDecoder().push(
      Buffer.concat([1, 2, 3].map((n) => encodeFrame(FrameType.Stdout, Buffer.from(String(n))))),
    );
    expect(frames.map((f) => f.payload.toString())).toEqual(['1', '2', '3']);
  });

  it('rejects a frame longer than the limit before buffering it', () => {
    const decoder = new FrameDecoder(10);
    expect(() => decoder.push(Buffer.from([0x01, 0, 0, 0, 11]))).toThrow(FrameError);
  });
});
