import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Returns a stream of the uncompressed tar, transparently gunzipping if the input starts with the gzip magic. */
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
  if (first && first[0] === 0x1f && first[1] === 0x8b) return out.pipe(createGunzip());
  return out;
}
