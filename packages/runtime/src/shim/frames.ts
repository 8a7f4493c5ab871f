/** Frames of the dyshim attach protocol: 1 byte type, 4 bytes big-endian length, payload. */
export const FrameType = {
  Stdin: 0x00,
  Stdout: 0x01,
  Stderr: 0x02,
  Exit: 0x03,
  ReplayEnd: 0x04,
  Hello: 0x10,
  Resize: 0x11,
  CloseStdin: 0x12,
  Signal: 0x13,
} as const;

export const FRAME_HEADER_SIZE = 5;
/** Larger frames than this from the shim are treated as a broken stream. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

const HELLO_REPLAY = 0x01;
const HELLO_STDIN = 0x02;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  frame.writeUInt8(type, 0);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

export function encodeHello(opts: { replay: boolean; stdin: boolean }): Buffer {
  const flags = (opts.replay ? HELLO_REPLAY : 0) | (opts.stdin ? HELLO_STDIN : 0);
  return encodeFrame(FrameType.Hello, Buffer.of(flags));
}

export function encodeResize(rows: number, cols: number): Buffer {
  for (const [name, value] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new RangeError(`${name} must be an integer in 0..65535, got ${value}`);
    }
  }
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt16BE(rows, 0);
  payload.writeUInt16BE(cols, 2);
  return encodeFrame(FrameType.Resize, payload);
}

export function encodeSignal(signo: number): Buffer {
  if (!Number.isInteger(signo) || signo < 1 || signo > 64) {
    throw new RangeError(`signal must be an integer in 1..64, got ${signo}`);
  }
  return encodeFrame(FrameType.Signal, Buffer.of(signo));
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * Splits a byte stream into frames. Chunks are kept as a list and joined only
 * per frame, so a large frame arriving in many small reads costs O(size).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPayload = DEFAULT_MAX_PAYLOAD) {}

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_HEADER_SIZE) {
      const header = this.peek(FRAME_HEADER_SIZE);
      const length = header.readUInt32BE(1);
      if (length > this.maxPayload) {
        throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
      }
      if (this.buffered < FRAME_HEADER_SIZE + length) break;
      this.take(FRAME_HEADER_SIZE);
      frames.push({ type: header.readUInt8(0), payload: this.take(length) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let needed = n;
    while (needed > 0) {
      const chunk = this.chunks[0];
      if (!chunk) throw new FrameError('internal: decoder ran out of data');
      if (chunk.length <= needed) {
        parts.push(chunk);
        this.chunks.shift();
        needed -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, needed));
        this.chunks[0] = chunk.subarray(needed);
        needed = 0;
      }
    }
    return Buffer.concat(parts, n);
  }
}
