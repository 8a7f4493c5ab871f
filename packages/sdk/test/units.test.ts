import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  builtImageId,
  DockerProgressError,
  demuxBuffer,
  demuxStream,
  FrameParser,
  muxFrame,
  ProgressStream,
} from '../src/index.js';
import { encodeQuery } from '../src/transport.js';
import { drain } from './helpers.js';

describe('sdk units', () => {
  it('parses multiplexed frames split at any byte', () => {
    const wire = Buffer.concat([
      muxFrame(1, Buffer.from('hello ')),
      muxFrame(2, Buffer.from('oops')),
      muxFrame(1, Buffer.from('world')),
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const p = new FrameParser();
      const frames = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
      expect(frames.map((f) => `${f.stream}:${f.data}`)).toEqual([
        'stdout:hello ',
        'stderr:oops',
        'stdout:world',
      ]);
      expect(p.pending).toBe(0);
    }
    expect(demuxBuffer(wire)).toEqual({ stdout: Buffer.from('hello world'), stderr: Buffer.from('oops') });
    expect(() => new FrameParser().push(Buffer.from('plain tty output'))).toThrow(/not a multiplexed stream/);
  });

  it('demuxStream writes each stream to its sink', async () => {
    const src = new PassThrough();
    const out = new PassThrough();
    const err = new PassThrough();
    demuxStream(src, out, err);
    src.write(muxFrame(2, Buffer.from('e1')).subarray(0, 5));
    src.write(Buffer.concat([muxFrame(2, Buffer.from('e1')).subarray(5), muxFrame(1, Buffer.from('o1'))]));
    src.end();
    await new Promise((r) => src.once('end', r));
    out.end();
    err.end();
    expect((await drain(out)).toString()).toBe('o1');
    expect((await drain(err)).toString()).toBe('e1');
  });

  it('progress streams validate lines, find the built id and reject on an error line', async () => {
    const ok = new ProgressStream(
      Readable.from([
        '{"stream":"Step 1/1 : FROM busybox\\n"}\r\n{"aux":{"ID":"sha256:ab',
        'cd"}}\n{"stream":"Successfully built abcd\\n"}\n',
      ]),
    );
    const events = await ok.done();
    expect(events).toHaveLength(3);
    expect(builtImageId(events)).toBe('sha256:abcd');
    const failed = new ProgressStream(
      Readable.from([
        '{"status":"Pulling"}\n{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n',
      ]),
    );
    await expect(failed.done()).rejects.toEqual(new DockerProgressError('manifest unknown'));
    const garbage = new ProgressStream(Readable.from(['{"status": 5}\n']));
    await expect(garbage.done()).rejects.toThrow(/unexpected stream item/);
  });

  it('encodes queries the way Docker reads them', () => {
    expect(encodeQuery({ all: true, stream: false, t: ['a:1', 'b:2'], skip: undefined, n: 3 })).toBe(
      '?all=1&stream=0&t=a%3A1&t=b%3A2&n=3',
    );
    expect(encodeQuery({})).toBe('');
  });
});
