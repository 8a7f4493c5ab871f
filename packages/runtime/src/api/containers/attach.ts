import type { Duplex } from 'node:stream';
import { loadShim } from '../../containers/shim.js';
import type { ShimAttachment } from '../../shim/index.js';
import { type ApiContext, ApiError } from '../http.js';
import { muxFrame, streamContentType, writeUpgraded } from '../stream.js';
import { baseHeaders } from '../version.js';
import { hub } from './hub.js';

/** Where an attach/exec stream goes: the upgraded socket, or (for clients that did not upgrade) the response. */
export interface StreamSink {
  write(data: Buffer): void;
  end(): void;
  /** Bytes the client sends (stdin). */
  onData(cb: (d: Buffer) => void): void;
  /** The client closed its sending side (stdin EOF). */
  onEnd(cb: () => void): void;
  /** The connection is gone. */
  onClose(cb: () => void): void;
  readonly closed: boolean;
}

/** Sends Docker's `101 UPGRADED` (or 200 without upgrade) and wraps the connection. */
export function openSink(ctx: ApiContext, tty: boolean, initial?: Buffer): StreamSink {
  const contentType = streamContentType(ctx.apiVersion, tty);
  let socket: Duplex;
  if (ctx.upgrade) {
    socket = ctx.upgrade.socket;
    writeUpgraded(socket, { ...baseHeaders(), 'Content-Type': contentType });
  } else if (ctx.res) {
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': contentType });
    res.flushHeaders();
    socket = res.socket as Duplex;
    return {
      write: (d) => {
        if (!res.writableEnded) res.write(d);
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
      onData: (cb) => ctx.req.on('data', cb),
      onEnd: (cb) => ctx.req.on('end', cb),
      onClose: (cb) => res.on('close', cb),
      get closed() {
        return res.writableEnded || res.destroyed;
      },
    };
  } else throw new ApiError(400, 'no connection to stream on');
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  const pending = initial?.length ? [initial] : [];
  return {
    write: (d) => {
      if (!closed && socket.writable) socket.write(d);
    },
    end: () => {
      if (!closed) socket.end();
    },
    onData: (cb) => {
      for (const p of pending.splice(0)) cb(p);
      socket.on('data', cb);
    },
    onEnd: (cb) => socket.on('end', cb),
    onClose: (cb) => socket.on('close', cb),
    get closed() {
      return closed;
    },
  };
}

export interface PipeOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Close the process's stdin when the client closes its side (docker's StdinOnce). */
  closeStdinOnEnd: boolean;
  onExit?: (exitCode: number) => void;
}

/**
 * Connects a client stream to a dyshim attachment: output as raw bytes (TTY) or 8-byte multiplexed frames,
 * client bytes to stdin, client EOF to CLOSE_STDIN. Ends the client stream when the process exits.
 */
export function pipeShim(att: ShimAttachment, sink: StreamSink, o: PipeOptions): Promise<void> {
  return new Promise((resolve) => {
    const out = (stream: 1 | 2) => (d: Buffer) => {
      if (o.tty) sink.write(d);
      else sink.write(muxFrame(stream, d));
    };
    if (o.stdout) att.onStdout(out(1));
    if (o.stderr) att.onStderr(out(o.tty ? 1 : 2));
    att.onExit((exit) => {
      o.onExit?.(exit.exitCode);
      att.close();
    });
    att.onClose(() => {
      sink.end();
      resolve();
    });
    if (o.stdin) {
      sink.onData((d) => {
        if (d.length) att.write(d);
      });
      sink.onEnd(() => {
        if (o.closeStdinOnEnd) att.closeStdin();
      });
    }
    sink.onClose(() => att.close());
  });
}

/**
 * The JSON body of an upgrade request (exec start sends `{"Detach":false,"Tty":false}` with it). Node hands
 * over whatever followed the headers as `head`; the rest of the body comes on the socket. Returns the body and
 * any bytes past it (early stdin).
 */
export async function readUpgradeBody(
  ctx: ApiContext,
  limit = 1024 * 1024,
): Promise<{ body: string; rest: Buffer }> {
  if (!ctx.upgrade) throw new ApiError(400, 'not an upgrade request');
  const { socket, head } = ctx.upgrade;
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0) throw new ApiError(400, 'invalid Content-Length');
  if (length > limit) throw new ApiError(413, `request body is larger than ${limit} bytes`);
  let buf = head;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (d: Buffer) => {
        cleanup();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(undefined);
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.resume();
    });
    if (!chunk) throw new ApiError(400, 'connection closed before the request body was complete');
    buf = Buffer.concat([buf, chunk]);
  }
  return { body: buf.subarray(0, length).toString('utf8'), rest: buf.subarray(length) };
}

/** Resizes through a live attachment of this server, else through a short-lived one. */
export async function resizeShim(key: string, stateDir: string, h: number, w: number): Promise<void> {
  const live = hub.attachmentFor(key);
  if (live) {
    live.resize(h, w);
    return;
  }
  const shim = await loadShim();
  const att = shim.attachShim(stateDir, { replay: false, stdin: false });
  att.resize(h, w);
  setTimeout(() => att.close(), 200);
}
