import { closeSync, openSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { type ExitRecord, parseExitRecord } from './exit.js';
import {
  encodeFrame,
  encodeHello,
  encodeResize,
  encodeSignal,
  FrameDecoder,
  FrameError,
  FrameType,
} from './frames.js';
import { attachSocketPath } from './paths.js';

export interface AttachOptions {
  /** Replay the scrollback (the last 256 KiB of output) before live output. */
  replay?: boolean;
  /** This client sends stdin (needs a shim started with stdin). */
  stdin?: boolean;
}

/** One client connection to a shim's attach socket. */
export interface ShimAttachment {
  onStdout(cb: (data: Buffer) => void): void;
  onStderr(cb: (data: Buffer) => void): void;
  /** The process exited; the shim closes the connection after this. */
  onExit(cb: (exit: ExitRecord) => void): void;
  /** The replay (possibly empty) is complete; live output follows. */
  onReplayEnd(cb: () => void): void;
  /** The connection ended: after EXIT, on close(), when the shim dropped a too slow client, or on error. */
  onClose(cb: (error?: Error) => void): void;
  /** Sends stdin; returns false when the socket's buffer is full (wait for 'drain'-like backpressure by pausing input). */
  write(data: Uint8Array | string): boolean;
  resize(rows: number, cols: number): void;
  closeStdin(): void;
  signal(signo: number): void;
  /** Stop reading output (the shim buffers up to 1 MiB for this client, then drops it). */
  pause(): void;
  resume(): void;
  close(): void;
  /** Settles when the connection has ended, with the error if there was one. */
  readonly closed: Promise<Error | undefined>;
}

/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** The shim accepts client frames up to 1 MiB; stdin is sent in smaller pieces. */
const STDIN_FRAME_MAX = 64 * 1024;

class ShimConnection implements ShimAttachment {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder();
  private readonly stdoutCbs: ((data: Buffer) => void)[] = [];
  private readonly stderrCbs: ((data: Buffer) => void)[] = [];
  private readonly exitCbs: ((exit: ExitRecord) => void)[] = [];
  private readonly replayEndCbs: (() => void)[] = [];
  private readonly closeCbs: ((error?: Error) => void)[] = [];
  private error: Error | undefined;
  private ended = false;
  readonly closed: Promise<Error | undefined>;

  constructor(
    stateDir: string,
    private readonly opts: Required<AttachOptions>,
  ) {
    let path = attachSocketPath(stateDir);
    let dirFd: number | undefined;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      // Too long for a socket address: reach it through an open fd of the directory.
      dirFd = openSync(stateDir, 'r');
      path = `/proc/self/fd/${dirFd}/attach.sock`;
    }
    this.socket = createConnection({ path });
    if (dirFd !== undefined) {
      const fd = dirFd;
      let closed = false;
      const release = () => {
        if (!closed) closeSync(fd);
        closed = true;
      };
      this.socket.once('connect', release);
      this.socket.once('close', release);
    }
    this.socket.write(encodeHello(opts));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => {
      this.error ??= err;
    });
    this.closed = new Promise((resolve) => {
      this.socket.on('close', () => {
        this.ended = true;
        for (const cb of this.closeCbs) cb(this.error);
        resolve(this.error);
      });
    });
  }

  private onData(chunk: Buffer): void {
    let frames: ReturnType<FrameDecoder['push']>;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        case FrameType.Stdout:
          for (const cb of this.stdoutCbs) cb(frame.payload);
          break;
        case FrameType.Stderr:
          for (const cb of this.stderrCbs) cb(frame.payload);
          break;
        case FrameType.ReplayEnd:
          for (const cb of this.replayEndCbs) cb();
          break;
        case FrameType.Exit: {
          let exit: ExitRecord;
          try {
            exit = parseExitRecord(frame.payload.toString('utf8'));
          } catch (err) {
            this.fail(new FrameError(`bad EXIT frame: ${(err as Error).message}`));
            return;
          }
          for (const cb of this.exitCbs) cb(exit);
          break;
        }
        default:
          break; // unknown frames are ignored, as the shim does
      }
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.socket.destroy();
  }

  onStdout(cb: (data: Buffer) => void): void {
    this.stdoutCbs.push(cb);
  }
  onStderr(cb: (data: Buffer) => void): void {
    this.stderrCbs.push(cb);
  }
  onExit(cb: (exit: ExitRecord) => void): void {
    this.exitCbs.push(cb);
  }
  onReplayEnd(cb: () => void): void {
    this.replayEndCbs.push(cb);
  }
  onClose(cb: (error?: Error) => void): void {
    if (this.ended) queueMicrotask(() => cb(this.error));
    else this.closeCbs.push(cb);
  }

  write(data: Uint8Array | string): boolean {
    if (!this.opts.stdin) throw new Error('attached without stdin: pass { stdin: true } to attachShim');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    let ok = true;
    for (let off = 0; off < bytes.length; off += STDIN_FRAME_MAX) {
      ok = this.send(encodeFrame(FrameType.Stdin, bytes.subarray(off, off + STDIN_FRAME_MAX)));
    }
    return ok;
  }

  resize(rows: number, cols: number): void {
    this.send(encodeResize(rows, cols));
  }

  closeStdin(): void {
    this.send(encodeFrame(FrameType.CloseStdin));
  }

  signal(signo: number): void {
    this.send(encodeSignal(signo));
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private send(frame: Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(frame);
  }
}

/** Connects to STATE/attach.sock of a running (or just exited) shim. */
export function attachShim(stateDir: string, opts: AttachOptions = {}): ShimAttachment {
  return new ShimConnection(stateDir, { replay: opts.replay ?? false, stdin: opts.stdin ?? false });
}
