import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { findOpaqueDirs, OPAQUE_MARKER, WHITEOUT_PREFIX } from './whiteouts.js';

export interface PackOptions {
  /** Convert overlayfs whiteouts (0/0 char devs, opaque xattrs) to `.wh.` entries (for upper dirs and layer diffs). */
  overlayWhiteouts?: boolean;
  /** Path prefix of every entry in the archive (used by `cp` to name the copied item). */
  prefix?: string;
  /** Skip the root entry itself (export of a full rootfs). */
  skipRoot?: boolean;
  /** Leaves out entries (relative paths, no leading slash) for which this returns true. */
  exclude?: (rel: string) => boolean;
}

/** Streams a directory tree (or a single file) as a tar archive. */
export function packTree(root: string, opts: PackOptions = {}): Readable {
  const pack = tarStream.pack();
  void (async () => {
    const opaque = opts.overlayWhiteouts ? await findOpaqueDirs(root) : new Set<string>();
    const inodes = new Map<string, string>();
    const entry = (header: Partial<tarStream.Header> & { name: string }, body?: Readable | Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (body && !Buffer.isBuffer(body)) {
          const sink = pack.entry(header as tarStream.Header as tarStream.Header, (err) =>
            err ? reject(err) : resolve(),
          );
          body.on('error', reject);
          body.pipe(sink);
        } else {
          pack.entry(header as tarStream.Header as tarStream.Header, body ?? Buffer.alloc(0), (err) =>
            err ? reject(err) : resolve(),
          );
        }
      });
    const walk = async (abs: string, rel: string): Promise<void> => {
      if (rel && opts.exclude?.(rel)) return;
      const st = await fs.lstat(abs);
      const name = opts.prefix ? path.posix.join(opts.prefix, rel) : rel || '.';
      const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        if (!(opts.skipRoot && rel === '')) await entry({ ...base, name: `${name}/`, type: 'directory' });
        if (opaque.has(abs))
          await entry({ ...base, name: path.posix.join(name, OPAQUE_MARKER), mode: 0o644, size: 0 });
        const names = (await fs.readdir(abs)).sort();
        for (const n of names) await walk(path.join(abs, n), rel ? `${rel}/${n}` : n);
      } else if (st.isSymbolicLink()) {
        await entry({ ...base, type: 'symlink', linkname: await fs.readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) {
          await entry({ ...base, type: 'link', linkname: first });
        } else {
          if (st.nlink > 1) inodes.set(key, name);
          await entry(
            { ...base, type: 'file', size: st.size },
            st.size > 0 ? createReadStream(abs) : undefined,
          );
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        if (opts.overlayWhiteouts && st.isCharacterDevice() && st.rdev === 0) {
          const dir = path.posix.dirname(name);
          await entry({
            ...base,
            name: path.posix.join(dir, WHITEOUT_PREFIX + path.posix.basename(name)),
            type: 'file',
            size: 0,
            mode: 0o644,
          });
        } else {
          await entry({
            ...base,
            type: st.isCharacterDevice() ? 'character-device' : 'block-device',
            devmajor: Math.floor(st.rdev / 256) & 0xfff,
            devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00),
          });
        }
      } else if (st.isFIFO()) {
        await entry({ ...base, type: 'fifo' });
      }
    };
    await walk(root, '');
    pack.finalize();
  })().catch((err) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
