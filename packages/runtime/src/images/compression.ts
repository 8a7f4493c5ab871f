import { PassThrough, type Readable, Transform } from 'node:stream';
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

/** Returns a stream of the uncompressed tar, transparently gunzipping (or un-zstd-ing) by the input's magic bytes. */
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
  const pipeTo = (t: Transform) => {
    out.on('error', (e) => t.destroy(e));
    return out.pipe(t);
  };
  if (first && first[0] === 0x1f && first[1] === 0x8b) return pipeTo(createGunzip());
  if (first && first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528)
    return pipeTo(createZstdDecompress());
  return out;
}
