import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import dockerignore from '@balena/dockerignore';
import tarStream from 'tar-stream';
import { DockyardError } from '../errors.js';
import { decompressed } from '../images/compression.js';
import { packTree } from '../images/pack.js';

export interface ContextLimits {
  /** Total bytes of file contents (after decompression). */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: ContextLimits = { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 };

export class ContextError extends DockyardError {
  constructor(message: string) {
    super(`invalid build context: ${message}`, 1, 'invalid');
  }
}

/** Normalises an archive entry name; refuses absolute names and any `..` that would leave the context. */
function entryPath(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed.startsWith('/')) throw new ContextError(`absolute path in archive: ${name}`);
  const parts = trimmed.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new ContextError(`path escapes the context: ${name}`);
  return parts.join('/');
}

/** A symlink target must stay inside the context when resolved from the link's directory. */
function checkLinkTarget(rel: string, target: string): void {
  if (target.startsWith('/')) throw new ContextError(`symlink ${rel} points outside the context: ${target}`);
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
  if (resolved === '..' || resolved.startsWith('../'))
    throw new ContextError(`symlink ${rel} points outside the context: ${target}`);
}

async function assertNoSymlinkOnPath(root: string, rel: string): Promise<void> {
  let cur = root;
  const parts = rel.split('/');
  parts.pop();
  for (const part of parts) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st) return;
    if (!st.isDirectory()) throw new ContextError(`refusing to extract through ${path.relative(root, cur)}`);
  }
}

/**
 * Extracts a (possibly gzipped) context tar into `dest`: names stay inside, nothing is written through a symlink,
 * symlinks and hardlinks must point inside, and total size and entry count are capped. On any error the caller
 * removes `dest`.
 */
export async function extractContext(
  source: Readable,
  dest: string,
  limits: ContextLimits = DEFAULT_LIMITS,
): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  let bytes = 0;
  let entries = 0;
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    // A refused entry destroys the extractor, which errors this entry's stream too: that error is already reported.
    stream.on('error', () => {});
    const handle = async () => {
      entries++;
      if (entries > limits.maxEntries)
        throw new ContextError(`more than ${limits.maxEntries} files (limit of this engine)`);
      const rel = entryPath(header.name);
      if (rel === '') {
        stream.resume();
        return;
      }
      const target = path.join(dest, rel);
      await assertNoSymlinkOnPath(dest, rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const mode = (header.mode ?? 0o644) & 0o7777;
      const existing = await fs.lstat(target).catch(() => undefined);
      if (existing && !(existing.isDirectory() && header.type === 'directory'))
        await fs.rm(target, { recursive: true, force: true });
      switch (header.type) {
        case 'directory':
          stream.resume();
          await fs.mkdir(target, { recursive: true });
          await fs.chmod(target, mode | 0o700);
          break;
        case 'file':
        case 'contiguous-file': {
          const size = header.size ?? 0;
          if (bytes + size > limits.maxBytes)
            throw new ContextError(`larger than ${limits.maxBytes} bytes (limit of this engine)`);
          bytes += size;
          await pipeline(stream, createWriteStream(target, { mode }));
          await fs.chmod(target, mode);
          if (header.mtime) await fs.utimes(target, header.mtime, header.mtime).catch(() => {});
          break;
        }
        case 'symlink':
          stream.resume();
          checkLinkTarget(rel, header.linkname ?? '');
          await fs.symlink(header.linkname ?? '', target);
          break;
        case 'link': {
          stream.resume();
          const linkRel = entryPath(header.linkname ?? '');
          await assertNoSymlinkOnPath(dest, linkRel);
          const st = await fs.lstat(path.join(dest, linkRel)).catch(() => undefined);
          if (!st?.isFile()) throw new ContextError(`hard link ${rel} to a missing file ${header.linkname}`);
          await fs.link(path.join(dest, linkRel), target);
          break;
        }
        default:
          // Devices and fifos have no place in a build context.
          stream.resume();
      }
    };
    handle().then(
      () => next(),
      (e: Error) => {
        stream.resume();
        next(e);
      },
    );
  });
  try {
    await pipeline(await decompressed(source), padToEnd, extract);
  } catch (e) {
    if (e instanceof DockyardError) throw e;
    throw new ContextError((e as Error).message);
  }
}

/**
 * Completes an archive cut short at its end: the docker 20.10 client sends contexts with an added file (`-f -`)
 * without padding the last entry or writing the end-of-archive blocks, which dockerd accepts.
 */
async function* padToEnd(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const c of chunks) {
    total += c.length;
    yield c;
  }
  yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
}

export async function readDockerignore(root: string): Promise<string[]> {
  const text = await fs.readFile(path.join(root, '.dockerignore'), 'utf8').catch(() => '');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export function ignoreMatcher(patterns: string[]): (rel: string) => boolean {
  if (!patterns.length) return () => false;
  // The package is CommonJS; `.default` is set on its export for typed ESM imports.
  const ig = dockerignore.default().add(patterns);
  return (rel) => ig.ignores(rel);
}

/** Removes what .dockerignore excludes (the daemon applies it too, like Docker's classic builder). */
export async function applyDockerignore(root: string, keep: string[]): Promise<void> {
  const ignored = ignoreMatcher(await readDockerignore(root));
  const walk = async (rel: string): Promise<boolean> => {
    const abs = path.join(root, rel);
    const names = await fs.readdir(abs);
    let empty = true;
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = await fs.lstat(path.join(root, r));
      if (st.isDirectory()) {
        const childEmpty = await walk(r);
        if (childEmpty && ignored(r) && !keep.includes(r)) await fs.rmdir(path.join(root, r));
        else empty = false;
      } else if (ignored(r) && !keep.includes(r)) {
        await fs.rm(path.join(root, r), { force: true });
      } else empty = false;
    }
    return empty;
  };
  await walk('');
}

/** The CLI's side: the context directory as a tar, leaving out what .dockerignore excludes (except the Dockerfile). */
export async function packContext(dir: string, dockerfileRel: string | undefined): Promise<Readable> {
  const patterns = await readDockerignore(dir);
  const ignored = ignoreMatcher(patterns);
  const keep = new Set(['.dockerignore', dockerfileRel ?? 'Dockerfile']);
  // With `!exception` patterns an ignored directory may hold kept files: descend and let the daemon prune.
  const exceptions = patterns.some((p) => p.startsWith('!'));
  return packTree(dir, {
    exclude: (rel) => !keep.has(rel) && ignored(rel) && !hasKeptDescendant(rel, keep) && !exceptions,
  });
}

function hasKeptDescendant(rel: string, keep: Set<string>): boolean {
  for (const k of keep) if (k.startsWith(`${rel}/`)) return true;
  return false;
}
