import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Readable, Transform } from 'node:stream';
import zlib, { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/** zstd decompression: node's own where it has one (≥ 22.15), else a pure-JS streaming decoder. */
function createZstdDecompress(): Transform {
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (native) return native();
  let decoder: Decompress | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder ??= new Decompress((data) => this.push(Buffer.from(data)));
        decoder.push(chunk);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        decoder?.push(new Uint8Array(0), true);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** `xz -dc` or `bzip2 -dc` as a stream (Debian's tools: node has neither format), with backpressure both ways. */
function toolDecompress(tool: 'xz' | 'bzip2'): Duplex {
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-500);
  });
  const stream = new Duplex({
    write(chunk: Buffer, _enc, done) {
      if (child.stdin.write(chunk)) done();
      else child.stdin.once('drain', () => done());
    },
    final(done) {
      child.stdin.end();
      done();
    },
    read() {
      child.stdout.resume();
    },
    destroy(err, done) {
      if (child.exitCode === null) child.kill('SIGKILL');
      done(err);
    },
  });
  // A broken input makes the tool exit early; its stdin then errors with EPIPE, which the exit reports better.
  child.stdin.on('error', () => {});
  child.stdout.on('data', (d: Buffer) => {
    if (!stream.push(d)) child.stdout.pause();
  });
  child.on('error', (e) => stream.destroy(e));
  child.on('close', (code) => {
    if (code === 0) stream.push(null);
    else stream.destroy(new Error(stderr.trim().split('\n')[0] || `${tool} exited with code ${code}`));
  });
  return stream;
}

/** Returns a stream of the uncompressed tar, transparently decompressing gzip, zstd, xz or bzip2 by magic bytes. */
export async function decompressed(source: Readable): Promise<Readable> {
  const first: Buffer | null = await new Promise((resolve, reject) => {
    const onReadable = () => {
      const chunk = source.read() as Buffer | null;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
    };
    source.on('readable', onReadable);
    source.on('end', onEnd);
    source.on('error', onError);
  });
  const out = new PassThrough();
  if (first) out.write(first);
  source.on('error', (e) => out.destroy(e));
  source.pipe(out);
  const pipeTo = (t: Duplex) => {
    out.on('error', (e) => t.destroy(e));
    return out.pipe(t);
  };
  if (first && first[0] === 0x1f && first[1] === 0x8b) return pipeTo(createGunzip());
  if (first && first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528)
    return pipeTo(createZstdDecompress());
  if (first && first.length >= 6 && first.subarray(0, 6).equals(XZ_MAGIC))
    return pipeTo(toolDecompress('xz'));
  // "BZh" and the block size digit: a plain tar starts with its first file's name, which could be "BZh…".
  if (first && first.length >= 4 && /^BZh[1-9]$/.test(first.subarray(0, 4).toString('latin1')))
    return pipeTo(toolDecompress('bzip2'));
  return out;
}
