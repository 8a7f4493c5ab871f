import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { DockyardError } from '../errors.js';
import { decompressed } from '../images/compression.js';
import { extractTar } from '../images/unpack.js';
import { resolveInRoot } from '../util/rootpath.js';

/** One matched source of a COPY/ADD: its path in the source tree and where that is on the host. */
export interface Source {
  rel: string;
  host: string;
  isDir: boolean;
}

const GLOB = /[*?[]/;

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const n of (await fs.readdir(path.join(root, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      const st = await fs.lstat(path.join(root, r));
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

/**
 * Resolves COPY/ADD source patterns inside `root` (the context, or another stage's rootfs): `..` may not leave it,
 * symlinks are followed only within it, wildcards match like Go's filepath.Match.
 */
export async function resolveSources(root: string, patterns: string[], verb: string): Promise<Source[]> {
  const out: Source[] = [];
  let tree: string[] | undefined;
  for (const p of patterns) {
    const cleaned = path.posix.normalize(p.replace(/^\/+/, '') || '.');
    if (cleaned === '..' || cleaned.startsWith('../'))
      throw new DockyardError(`${verb} failed: forbidden path outside the build context: ${p} ()`, 1);
    if (GLOB.test(cleaned)) {
      tree ??= await listTree(root);
      const match = picomatch(cleaned.replace(/^\.\//, ''), { dot: true });
      const hits = tree.filter((r) => match(r));
      for (const rel of hits) {
        const host = await resolveInRoot(root, rel);
        const st = await fs.stat(host).catch(() => undefined);
        if (st) out.push({ rel, host, isDir: st.isDirectory() });
      }
      if (!hits.length) throw new DockyardError(`${verb} failed: no source files were specified`, 1);
      continue;
    }
    const host = await resolveInRoot(root, cleaned);
    const st = await fs.stat(host).catch(() => undefined);
    if (!st)
      throw new DockyardError(
        `${verb} failed: file not found in build context or excluded by .dockerignore: stat ${p}: file does not exist`,
        1,
      );
    out.push({ rel: cleaned, host, isDir: st.isDirectory() });
  }
  return out;
}

/** Content and metadata (not times) of the sources: what decides whether a cached COPY/ADD is still valid. */
export async function checksumSources(sources: Source[]): Promise<string> {
  const h = createHash('sha256');
  const add = async (host: string, rel: string) => {
    const st = await fs.lstat(host);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) h.update(`link:${await fs.readlink(host)}\0`);
    else if (st.isFile()) {
      h.update(`file:${st.size}\0`);
      for await (const chunk of createReadStream(host)) h.update(chunk as Buffer);
    } else if (st.isDirectory()) {
      for (const n of (await fs.readdir(host)).sort()) await add(path.join(host, n), `${rel}/${n}`);
    }
  };
  for (const s of sources) await add(s.host, s.isDir ? '.' : path.posix.basename(s.rel));
  return h.digest('hex');
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Creates every missing directory of `dir` inside the rootfs (following its symlinks within it). */
async function ensureDir(rootfs: string, dir: string, owner?: Owner): Promise<string> {
  let cur = '/';
  for (const part of dir.split('/').filter(Boolean)) {
    cur = path.posix.join(cur, part);
    const host = await resolveInRoot(rootfs, cur);
    const st = await fs.stat(host).catch(() => undefined);
    if (!st) {
      await fs.mkdir(host, { mode: 0o755 });
      if (owner) await fs.lchown(host, owner.uid, owner.gid);
    } else if (!st.isDirectory()) {
      throw new DockyardError(`failed to copy files: mkdir ${cur}: not a directory`, 1);
    }
  }
  return resolveInRoot(rootfs, dir);
}

interface CopyOptions {
  owner: Owner | undefined;
  chmod: number | undefined;
}

async function copyEntry(src: string, rootfs: string, dest: string, o: CopyOptions): Promise<void> {
  const st = await fs.lstat(src);
  if (st.isDirectory()) {
    const host = await ensureDir(rootfs, dest, o.owner);
    await fs.chmod(host, o.chmod ?? st.mode & 0o7777);
    if (o.owner) await fs.lchown(host, o.owner.uid, o.owner.gid);
    else await fs.lchown(host, 0, 0);
    for (const n of (await fs.readdir(src)).sort())
      await copyEntry(path.join(src, n), rootfs, path.posix.join(dest, n), o);
    await fs.utimes(host, st.atime, st.mtime).catch(() => {});
    return;
  }
  await ensureDir(rootfs, path.posix.dirname(dest));
  const target = await resolveInRoot(rootfs, dest, false);
  const existing = await fs.lstat(target).catch(() => undefined);
  if (existing) await fs.rm(target, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(src), target);
  } else if (st.isFile()) {
    await fs.copyFile(src, target);
    await fs.chmod(target, o.chmod ?? st.mode & 0o7777);
    await fs.utimes(target, st.atime, st.mtime).catch(() => {});
  } else {
    return;
  }
  await fs.lchown(target, o.owner?.uid ?? 0, o.owner?.gid ?? 0);
}

/** Is this a tar archive (plain or gzip, bzip2, xz, zstd compressed) that ADD extracts? A compressed non-tar is copied. */
async function isArchive(file: string): Promise<boolean> {
  const head = await readStart(await decompressed(createReadStream(file)), 512).catch(() => Buffer.alloc(0));
  return head.length >= 262 && head.subarray(257, 262).toString() === 'ustar';
}

/** The first `n` bytes of a stream (fewer if it is shorter); the stream is destroyed afterwards. */
async function readStart(stream: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (got >= n) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** Docker's COPY/ADD destination rules, writing into a mounted rootfs. */
export async function copyInto(
  rootfs: string,
  sources: Source[],
  dest: string,
  o: CopyOptions & { verb: 'COPY' | 'ADD'; destIsDir: boolean },
): Promise<void> {
  for (const s of sources) {
    if (s.isDir) {
      await ensureDir(rootfs, dest);
      for (const n of (await fs.readdir(s.host)).sort())
        await copyEntry(path.join(s.host, n), rootfs, path.posix.join(dest, n), o);
      continue;
    }
    if (o.verb === 'ADD' && (await isArchive(s.host))) {
      const host = await ensureDir(rootfs, dest);
      await extractTar(await decompressed(createReadStream(s.host)), host, { preserveOwner: true }).catch(
        (e: Error) => {
          throw new DockyardError(`ADD failed: extracting ${s.rel}: ${e.message}`, 1);
        },
      );
      continue;
    }
    let target = dest;
    const existing = await fs.stat(await resolveInRoot(rootfs, dest)).catch(() => undefined);
    if (o.destIsDir || existing?.isDirectory()) target = path.posix.join(dest, path.posix.basename(s.rel));
    await copyEntry(s.host, rootfs, target, o);
  }
}
