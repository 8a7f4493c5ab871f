import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
  writeSync,
} from 'node:fs';

/**
 * Path resolution confined to a root directory, with openat2(RESOLVE_IN_ROOT) semantics:
 * `..` never climbs above the root and symlinks (absolute or relative) are resolved as if the root were `/`.
 * Every step holds an fd of the directory reached so far and looks up the next name through
 * `/proc/self/fd/<fd>/<name>` with O_NOFOLLOW, so a box swapping a directory for a symlink while we
 * walk cannot redirect us outside the root.
 */

export class InRootError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'ENOTDIR' | 'ELOOP' | 'EISDIR' | 'EFBIG' | 'EINVAL' | 'ENOTREG',
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'InRootError';
  }
}

const MAX_SYMLINKS = 40;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** The directory fd that holds the final component, and that component's name ('' means the root itself). */
interface Resolved {
  dirFd: number;
  name: string;
  release(): void;
}

function resolveParent(root: string, path: string, followFinal: boolean): Resolved {
  if (path.includes('\0')) throw new InRootError('EINVAL', path, 'path contains a NUL byte');
  // The root itself may be a magic link such as /proc/<pid>/root: follow it, and nothing after it.
  const rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  const stack: number[] = [rootFd];
  const release = () => {
    for (const fd of stack) closeSync(fd);
    stack.length = 0;
  };
  const top = () => stack[stack.length - 1] as number;
  const resetToRoot = () => {
    while (stack.length > 1) closeSync(stack.pop() as number);
  };
  const pending = splitPath(path);
  let symlinksLeft = MAX_SYMLINKS;
  try {
    while (pending.length > 0) {
      const name = pending.shift() as string;
      if (name === '..') {
        if (stack.length > 1) closeSync(stack.pop() as number);
        continue;
      }
      const isFinal = pending.length === 0;
      let stats: Stats;
      try {
        stats = lstatSync(fdPath(top(), name));
      } catch (error) {
        if (isFinal && errnoOf(error) === 'ENOENT') return { dirFd: top(), name, release };
        if (errnoOf(error) === 'ENOENT')
          throw new InRootError('ENOENT', path, `${path}: no such file or directory`);
        throw error;
      }
      if (stats.isSymbolicLink() && (!isFinal || followFinal)) {
        if (--symlinksLeft < 0)
          throw new InRootError('ELOOP', path, `${path}: too many levels of symbolic links`);
        const target = readlinkSync(fdPath(top(), name));
        if (target.startsWith('/')) resetToRoot();
        pending.unshift(...splitPath(target));
        continue;
      }
      if (isFinal) return { dirFd: top(), name, release };
      if (!stats.isDirectory()) throw new InRootError('ENOTDIR', path, `${path}: not a directory`);
      try {
        stack.push(openSync(fdPath(top(), name), DIR_FLAGS));
      } catch (error) {
        // Swapped for a symlink or a file between lstat and open: refuse rather than follow.
        if (errnoOf(error) === 'ELOOP' || errnoOf(error) === 'ENOTDIR') {
          throw new InRootError('ENOTDIR', path, `${path}: changed while being resolved`);
        }
        throw error;
      }
    }
    return { dirFd: top(), name: '', release };
  } catch (error) {
    release();
    throw error;
  }
}

function withResolved<T>(root: string, path: string, followFinal: boolean, use: (r: Resolved) => T): T {
  const resolved = resolveParent(root, path, followFinal);
  try {
    return use(resolved);
  } finally {
    resolved.release();
  }
}

function target(r: Resolved): string {
  return r.name === '' ? fdPath(r.dirFd) : fdPath(r.dirFd, r.name);
}

/** Stats of a path inside root; `follow: false` reports a final symlink itself. Null when absent. */
export function statInRoot(root: string, path: string, opts: { follow?: boolean } = {}): Stats | null {
  const follow = opts.follow ?? true;
  try {
    return withResolved(root, path, follow, (r) =>
      r.name === '' ? fstatSync(r.dirFd) : lstatSync(target(r)),
    );
  } catch (error) {
    if (error instanceof InRootError && error.code === 'ENOENT') return null;
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Reads a regular file inside root, refusing anything larger than maxBytes. */
export function readFileInRoot(root: string, path: string, opts: { maxBytes?: number } = {}): Buffer {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return withResolved(root, path, true, (r) => {
    if (r.name === '') throw new InRootError('EISDIR', path, `${path}: is a directory`);
    let fd: number;
    try {
      fd = openSync(target(r), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT')
        throw new InRootError('ENOENT', path, `${path}: no such file or directory`);
      throw error;
    }
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new InRootError('ENOTREG', path, `${path}: not a regular file`);
      if (stats.size > maxBytes)
        throw new InRootError('EFBIG', path, `${path}: larger than ${maxBytes} bytes`);
      const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
      let length = 0;
      for (;;) {
        const n = readSync(fd, buffer, length, buffer.length - length, null);
        if (n === 0) break;
        length += n;
        if (length > maxBytes) throw new InRootError('EFBIG', path, `${path}: larger than ${maxBytes} bytes`);
        if (length === buffer.length) break;
      }
      return buffer.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  });
}

/** The target of a symlink inside root, as stored (not resolved). */
export function readlinkInRoot(root: string, path: string): string {
  return withResolved(root, path, false, (r) => readlinkSync(target(r)));
}

/** Names in a directory inside root. */
export function listDirInRoot(root: string, path: string): string[] {
  return withResolved(root, path, true, (r) => {
    const fd = r.name === '' ? undefined : openSync(target(r), DIR_FLAGS);
    try {
      return readdirSync(fd === undefined ? fdPath(r.dirFd) : fdPath(fd)).sort();
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  });
}

/** An fd of a non-symlink inside root (e.g. an nsfs file under /run/netns), opened read-only; the caller closes it. */
export function openInRoot(root: string, path: string): number {
  return withResolved(root, path, true, (r) => {
    if (r.name === '') return openSync(fdPath(r.dirFd), constants.O_RDONLY);
    try {
      return openSync(target(r), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT')
        throw new InRootError('ENOENT', path, `${path}: no such file or directory`);
      throw error;
    }
  });
}

/**
 * Creates or replaces a regular file inside root (the parent must exist). A symlink, fifo or device in the
 * final place is refused rather than followed or opened. A new file gets the given owner (the box's root).
 */
export function writeFileInRoot(
  root: string,
  path: string,
  data: Uint8Array,
  opts: { maxBytes?: number; owner?: { uid: number; gid: number }; mode?: number } = {},
): void {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  if (data.byteLength > maxBytes)
    throw new InRootError('EFBIG', path, `${path}: larger than ${maxBytes} bytes`);
  withResolved(root, path, false, (r) => {
    if (r.name === '') throw new InRootError('EISDIR', path, `${path}: is a directory`);
    const existing = statInRootFd(r);
    if (existing && !existing.isFile()) throw new InRootError('ENOTREG', path, `${path}: not a regular file`);
    const fd = openSync(
      target(r),
      constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      opts.mode ?? 0o644,
    );
    try {
      if (!fstatSync(fd).isFile()) throw new InRootError('ENOTREG', path, `${path}: not a regular file`);
      ftruncateSync(fd, 0);
      let offset = 0;
      while (offset < data.byteLength)
        offset += writeSync(fd, data, offset, data.byteLength - offset, offset);
      if (!existing && opts.owner) fchownSync(fd, opts.owner.uid, opts.owner.gid);
    } finally {
      closeSync(fd);
    }
  });
}

function statInRootFd(r: Resolved): Stats | null {
  try {
    return lstatSync(target(r));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}
