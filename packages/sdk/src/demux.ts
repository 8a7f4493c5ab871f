import type { Readable, Writable } from 'node:stream';

/** Frame header of Docker's multiplexed stream: [stream, 0, 0, 0, size uint32 BE]. */
export const MUX_HEADER_SIZE = 8;

export type StreamKind = 'stdin' | 'stdout' | 'stderr';
const kinds: Record<number, StreamKind> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/**
 * Incremental parser of the multiplexed stream (attach/exec/logs without a TTY): feed chunks as they
 * come, get whole frames out. A header naming no stream means the data was not multiplexed after all.
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: StreamKind; data: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: { stream: StreamKind; data: Buffer }[] = [];
    while (this.buf.length >= MUX_HEADER_SIZE) {
      const kind = kinds[this.buf[0] ?? -1];
      if (!kind) throw new Error('not a multiplexed stream: a frame header names no stream');
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < MUX_HEADER_SIZE + size) break;
      frames.push({ stream: kind, data: this.buf.subarray(MUX_HEADER_SIZE, MUX_HEADER_SIZE + size) });
      this.buf = this.buf.subarray(MUX_HEADER_SIZE + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buf.length;
  }
}

/** dockerode's `demuxStream`: writes stdout frames to `stdout` and stderr frames to `stderr`. */
export function demuxStream(stream: Readable, stdout: Writable, stderr: Writable): void {
  const parser = new FrameParser();
  const onData = (chunk: Buffer) => {
    let frames: ReturnType<FrameParser['push']>;
    try {
      frames = parser.push(chunk);
    } catch (error) {
      stream.off('data', onData);
      stream.destroy(error as Error);
      return;
    }
    for (const f of frames) (f.stream === 'stderr' ? stderr : stdout).write(f.data);
  };
  stream.on('data', onData);
}

/** Splits a whole multiplexed buffer (e.g. non-following logs) into its stdout and stderr text. */
export function demuxBuffer(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (const f of new FrameParser().push(buf)) (f.stream === 'stderr' ? err : out).push(f.data);
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Builds one frame (for tests and for writing a multiplexed stream). */
export function muxFrame(stream: 1 | 2, data: Buffer): Buffer {
  const header = Buffer.alloc(MUX_HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
