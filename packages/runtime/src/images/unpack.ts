import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { run } from '../util/exec.js';
import {
  inUserNamespace,
  makeOverlayWhiteout,
  markOpaque,
  OPAQUE_MARKER,
  WHITEOUT_PREFIX,
} from './whiteouts.js';

export interface UnpackOptions {
  /** Image layers: turn `.wh.` entries into overlayfs whiteouts. Off for `cp`, where they are plain files. */
  overlayWhiteouts?: boolean;
  /** Keep uid/gid from the archive (true for layers; `cp` also keeps them, like docker as root). */
  preserveOwner?: boolean;
}

/** Joins an archive path under root, refusing anything that would leave it. */
export function safeJoin(root: string, rel: string): string {
  const normalized = path.posix.normalize(`/${rel}`);
  const full = path.join(root, normalized);
  if (full !== root && !full.startsWith(`${root}/`)) throw new Error(`path escapes root: ${rel}`);
  return full;
}

/** Refuses to write through a symlink that an earlier entry (or the tree) put on the way. */
async function assertNoSymlinkParents(root: string, target: string): Promise<void> {
  const rel = path.relative(root, path.dirname(target));
  if (!rel) return;
  let cur = root;
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink())
      throw new Error(`refusing to extract through symlink ${path.relative(root, cur)}`);
    if (!st.isDirectory()) throw new Error(`not a directory: ${path.relative(root, cur)}`);
  }
}

async function removeExisting(p: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && keepDir) return;
  await fs.rm(p, { recursive: true, force: true });
}

/**
 * Extracts a tar stream into `dest` with rootfs semantics: entry paths may not leave dest and are never
 * written through symlinks; symlink targets are kept verbatim (they are resolved inside the container, so an
 * absolute `/bin/busybox` must stay absolute); hardlinks must point inside dest.
 */
export async function extractTar(source: Readable, dest: string, o: UnpackOptions = {}): Promise<void> {
  const root = path.resolve(dest);
  await fs.mkdir(root, { recursive: true });
  const preserveOwner = o.preserveOwner !== false;
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const dirTimes: { p: string; mtime: Date }[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const handle = async () => {
      const name = header.name.replace(/\/+$/, '');
      if (name === '' || name === '.') {
        stream.resume();
        return;
      }
      const target = safeJoin(root, name);
      const base = path.posix.basename(name);
      if (o.overlayWhiteouts && base.startsWith(WHITEOUT_PREFIX)) {
        stream.resume();
        if (base === OPAQUE_MARKER) opaque.push(path.dirname(target));
        else whiteouts.push(path.join(path.dirname(target), base.slice(WHITEOUT_PREFIX.length)));
        return;
      }
      await assertNoSymlinkParents(root, target);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const mode = (header.mode ?? 0o644) & 0o7777;
      switch (header.type) {
        case 'directory':
          await removeExisting(target, true);
          await fs.mkdir(target, { recursive: true });
          await fs.chmod(target, mode);
          if (header.mtime) dirTimes.push({ p: target, mtime: header.mtime });
          stream.resume();
          break;
        case 'file':
        case 'contiguous-file':
          await removeExisting(target, false);
          await pipeline(stream, createWriteStream(target, { mode }));
          await fs.chmod(target, mode);
          break;
        case 'symlink':
          stream.resume();
          await removeExisting(target, false);
          await fs.symlink(header.linkname ?? '', target);
          break;
        case 'link': {
          stream.resume();
          const linkTarget = safeJoin(root, header.linkname ?? '');
          await assertNoSymlinkParents(root, linkTarget);
          await removeExisting(target, false);
          await fs.link(linkTarget, target);
          break;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          stream.resume();
          await removeExisting(target, false);
          const args =
            header.type === 'fifo'
              ? [target, 'p']
              : [
                  target,
                  header.type === 'character-device' ? 'c' : 'b',
                  String(header.devmajor ?? 0),
                  String(header.devminor ?? 0),
                ];
          const r = await run('mknod', ['-m', mode.toString(8), ...args]);
          if (r.code !== 0) {
            // In a user namespace (the nested engine in a lab box) device nodes cannot be made: skip them, as
            // rootless engines do; the runtime mounts a container's /dev over the image's anyway.
            if (header.type !== 'fifo' && inUserNamespace()) return;
            throw new Error(`mknod ${name}: ${r.stderr.trim()}`);
          }
          break;
        }
        default:
          stream.resume();
          return;
      }
      if (preserveOwner) await fs.lchown(target, header.uid ?? 0, header.gid ?? 0);
      if (header.type !== 'symlink' && header.type !== 'directory' && header.mtime) {
        await fs.utimes(target, header.mtime, header.mtime).catch(() => {});
      }
      // chown clears set-id bits: put them back.
      if (preserveOwner && mode & 0o6000 && header.type !== 'symlink') await fs.chmod(target, mode);
    };
    handle().then(
      () => next(),
      (e: Error) => {
        stream.resume();
        next(e);
      },
    );
  });
  await pipeline(source, extract);
  for (const dir of opaque) {
    await assertNoSymlinkParents(root, path.join(dir, 'x'));
    await fs.mkdir(dir, { recursive: true });
    await markOpaque(dir);
  }
  for (const w of whiteouts) {
    await assertNoSymlinkParents(root, w);
    await fs.mkdir(path.dirname(w), { recursive: true });
    await fs.rm(w, { recursive: true, force: true });
    await makeOverlayWhiteout(w);
  }
  for (const d of dirTimes.reverse()) await fs.utimes(d.p, d.mtime, d.mtime).catch(() => {});
}

/** An image layer: whiteouts become overlayfs whiteouts. */
export function unpackLayer(source: Readable, dest: string): Promise<void> {
  return extractTar(source, dest, { overlayWhiteouts: true });
}
