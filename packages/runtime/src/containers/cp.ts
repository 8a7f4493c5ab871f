import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { packTree } from '../images/pack.js';
import { extractTar } from '../images/unpack.js';
import { resolveInRoot } from '../util/rootpath.js';
import { withMergedRootfs } from './mounted.js';
import type { ContainerRecord } from './record.js';

/** Maps a container path to the host: through a bind/volume mount if one covers it, else inside the rootfs. */
export async function hostPathFor(
  rec: ContainerRecord,
  rootfs: string,
  p: string,
  followLast: boolean,
): Promise<string> {
  const norm = path.posix.normalize(`/${p}`);
  const mount = [...rec.host.mounts]
    .sort((a, b) => b.destination.length - a.destination.length)
    .find((m) => norm === m.destination || norm.startsWith(`${m.destination}/`));
  if (mount) return resolveInRoot(mount.source, norm.slice(mount.destination.length), followLast);
  return resolveInRoot(rootfs, norm, followLast);
}

const noSuchPath = (rec: ContainerRecord, p: string) =>
  new DockyardError(`Error response from daemon: Could not find the file ${p} in container ${rec.name}`, 1);

/** docker cp CONTAINER:SRC DEST (DEST '-' = tar to `out`). */
export async function copyFromContainer(
  engine: Engine,
  ref: string,
  src: string,
  dest: string,
  out: Writable,
): Promise<void> {
  const rec = await engine.containers.get(ref);
  await withMergedRootfs(engine, rec, async (rootfs) => {
    const copyContents = src.endsWith('/.');
    const hostSrc = await hostPathFor(rec, rootfs, src, false);
    const st = await fs.lstat(hostSrc).catch(() => undefined);
    if (!st) throw noSuchPath(rec, src);
    const name = path.posix.basename(path.posix.normalize(`/${src}`)) || '.';
    if (dest === '-') {
      await pipeline(packTree(hostSrc, { prefix: copyContents ? '.' : name }), out);
      return;
    }
    const destAbs = path.resolve(dest);
    const destSt = await fs.stat(destAbs).catch(() => undefined);
    let targetDir: string;
    let prefix: string;
    if (destSt?.isDirectory()) {
      targetDir = destAbs;
      prefix = copyContents ? '.' : name;
    } else {
      if (dest.endsWith('/')) throw new DockyardError(`destination directory "${dest}" must exist`, 1);
      if (st.isDirectory() && destSt) throw new DockyardError(`cannot copy directory to a file: ${dest}`, 1);
      targetDir = path.dirname(destAbs);
      prefix = path.basename(destAbs);
      if (!(await fs.stat(targetDir).catch(() => undefined))?.isDirectory()) {
        throw new DockyardError(`no such directory: ${targetDir}`, 1);
      }
    }
    await extractTar(packTree(hostSrc, { prefix }), targetDir);
  });
}

/** docker cp SRC CONTAINER:DEST (SRC '-' = a tar stream on `input`). */
export async function copyToContainer(
  engine: Engine,
  ref: string,
  src: string,
  dest: string,
  input: Readable,
): Promise<void> {
  const rec = await engine.containers.get(ref);
  await withMergedRootfs(engine, rec, async (rootfs) => {
    const hostDest = await hostPathFor(rec, rootfs, dest, true);
    const destSt = await fs.stat(hostDest).catch(() => undefined);
    if (src === '-') {
      if (!destSt?.isDirectory())
        throw new DockyardError(`Error response from daemon: extraction point is not a directory`, 1);
      await extractTar(input, hostDest);
      return;
    }
    const srcAbs = path.resolve(src);
    const st = await fs.lstat(srcAbs).catch(() => undefined);
    if (!st) throw new DockyardError(`lstat ${srcAbs}: no such file or directory`, 1);
    const copyContents = src.endsWith('/.');
    let targetDir: string;
    let prefix: string;
    if (destSt?.isDirectory()) {
      targetDir = hostDest;
      prefix = copyContents ? '.' : path.basename(srcAbs);
    } else {
      if (st.isDirectory() && destSt)
        throw new DockyardError(`Error response from daemon: cannot copy directory to a file`, 1);
      targetDir = path.dirname(hostDest);
      prefix = path.basename(hostDest);
      if (!(await fs.stat(targetDir).catch(() => undefined))?.isDirectory())
        throw noSuchPath(rec, path.posix.dirname(dest));
    }
    await extractTar(packTree(srcAbs, { prefix }), targetDir);
  });
}
