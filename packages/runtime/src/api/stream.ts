/** Docker's multiplexed stream (attach/logs/exec without a TTY): 8-byte header [stream, 0, 0, 0, size BE] + payload. */
export type StreamId = 0 | 1 | 2;

export const MUX_HEADER_SIZE = 8;

export function muxFrame(stream: StreamId, data: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(MUX_HEADER_SIZE + data.length);
  frame.writeUInt8(stream, 0);
  frame.writeUIntBE(0, 1, 3);
  frame.writeUInt32BE(data.length, 4);
  data.copy(frame, MUX_HEADER_SIZE);
  return frame;
}

/** Splits a multiplexed byte stream into (stream, payload) pieces; feed it chunks as they arrive. */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrame = 64 * 1024 * 1024) {}

  push(chunk: Buffer): { stream: StreamId; data: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { stream: StreamId; data: Buffer }[] = [];
    while (this.buf.length >= MUX_HEADER_SIZE) {
      const stream = this.buf.readUInt8(0);
      if (stream > 2) throw new Error(`invalid stream id ${stream} in multiplexed stream`);
      const size = this.buf.readUInt32BE(4);
      if (size > this.maxFrame) throw new Error(`multiplexed frame of ${size} bytes is too large`);
      if (this.buf.length < MUX_HEADER_SIZE + size) break;
      out.push({
        stream: stream as StreamId,
        data: this.buf.subarray(MUX_HEADER_SIZE, MUX_HEADER_SIZE + size),
      });
      this.buf = this.buf.subarray(MUX_HEADER_SIZE + size);
    }
    return out;
  }

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.buf.length;
  }
}

/** The content type Docker uses for attach/exec/log streams at this API version. */
export function streamContentType(apiVersion: string, tty: boolean): string {
  if (tty) return 'application/vnd.docker.raw-stream';
  const [, minor = '0'] = apiVersion.split('.');
  return Number(minor) >= 42
    ? 'application/vnd.docker.multiplexed-stream'
    : 'application/vnd.docker.raw-stream';
}

const hijacked = new WeakSet<object>();

/** True once a 101 went out on this socket: errors after that can only close the stream. */
export const isHijacked = (socket: object) => hijacked.has(socket);

/** Answers an upgrade request with Docker's `101 UPGRADED`; the socket then carries the raw stream. */
export function writeUpgraded(socket: import('node:stream').Duplex, headers: Record<string, string>): void {
  hijacked.add(socket);
  const lines = Object.entries({ ...headers, Connection: 'Upgrade', Upgrade: 'tcp' }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  socket.write(`HTTP/1.1 101 UPGRADED\r\n${lines.join('\r\n')}\r\n\r\n`);
}
