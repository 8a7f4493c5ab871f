// Reads an uploaded lesson archive (.zip or .tar.gz) into memory, refusing anything that could land outside
// the lesson folder: absolute paths, `..`, links, devices, and archives bigger than the caps (zip bombs too).
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import yauzl from 'yauzl';

export const UPLOAD_LIMITS = {
  /** The archive as uploaded. */
  archiveBytes: 2 * 1024 * 1024,
  /** All files unpacked (the same cap as @dockyard/lessons' readLessonFiles). */
  totalBytes: 5 * 1024 * 1024,
  files: 200,
};

export type UploadErrorCode =
  | 'too-large'
  | 'too-many-files'
  | 'unsafe-path'
  | 'link'
  | 'unsupported-entry'
  | 'bad-archive'
  | 'unknown-format'
  | 'no-lesson';

export class UploadError extends Error {
  constructor(
    readonly code: UploadErrorCode,
    readonly entry?: string,
  ) {
    super(entry ? `${code}: ${entry}` : code);
    this.name = 'UploadError';
  }
}

export interface LessonArchive {
  /** The lesson folder's name (= lesson id). */
  folder: string;
  /** Paths relative to the lesson folder. */
  files: Record<string, Buffer>;
}

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A safe relative POSIX path for an archive entry, or an UploadError. Directory entries end in '/'. */
export function safeEntryPath(name: string): string {
  if (
    !name ||
    name.includes('\0') ||
    name.includes('\\') ||
    /^[a-zA-Z]:/.test(name) ||
    name.startsWith('/')
  ) {
    throw new UploadError('unsafe-path', name);
  }
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..') || segments.length === 0) {
    throw new UploadError('unsafe-path', name);
  }
  const rel = segments.join('/');
  // Belt and braces: the resolved path must stay under a root.
  const root = path.posix.resolve('/upload-root');
  if (!path.posix.resolve(root, rel).startsWith(`${root}/`)) throw new UploadError('unsafe-path', name);
  return rel;
}

class Collector {
  readonly files = new Map<string, Buffer>();
  private total = 0;

  reserve(name: string, size: number): void {
    if (this.files.size + 1 > UPLOAD_LIMITS.files) throw new UploadError('too-many-files');
    this.total += size;
    if (this.total > UPLOAD_LIMITS.totalBytes) throw new UploadError('too-large', name);
  }

  add(rel: string, data: Buffer): void {
    if (this.files.has(rel)) throw new UploadError('bad-archive', rel);
    this.files.set(rel, data);
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function readZip(data: Buffer, out: Collector): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      data,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true },
      (openError, zip) => {
        if (openError || !zip) return reject(new UploadError('bad-archive'));
        const fail = (error: unknown) => {
          zip.close();
          reject(error instanceof UploadError ? error : new UploadError('bad-archive'));
        };
        zip.on('error', fail);
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          try {
            const name = (entry.fileName as unknown as Buffer).toString('utf8');
            const rel = safeEntryPath(name);
            // Unix attributes sit in the upper 16 bits when the archive was made on a Unix system.
            const madeOnUnix = entry.versionMadeBy >> 8 === 3;
            const type = madeOnUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
            if (type === S_IFLNK) throw new UploadError('link', name);
            if (name.endsWith('/') || type === S_IFDIR) return zip.readEntry();
            if (type !== 0 && type !== S_IFREG) throw new UploadError('unsupported-entry', name);
            out.reserve(name, entry.uncompressedSize);
            zip.openReadStream(entry, (streamError, stream) => {
              if (streamError || !stream) return fail(streamError);
              const chunks: Buffer[] = [];
              let size = 0;
              stream.on('data', (chunk: Buffer) => {
                size += chunk.length;
                // yauzl also checks the declared size; this stops a lying header early.
                if (size > entry.uncompressedSize) stream.destroy(new UploadError('too-large', name));
                else chunks.push(chunk);
              });
              stream.on('error', fail);
              stream.on('end', () => {
                try {
                  out.add(rel, Buffer.concat(chunks));
                  zip.readEntry();
                } catch (error) {
                  fail(error);
                }
              });
            });
          } catch (error) {
            fail(error);
          }
        });
        zip.readEntry();
      },
    );
  });
}

// tar headers and padding: at most 1 KiB per file on top of the content.
const TAR_OVERHEAD = UPLOAD_LIMITS.files * 1024 + 64 * 1024;

async function readTarGz(data: Buffer, out: Collector): Promise<void> {
  let tar: Buffer;
  try {
    tar = gunzipSync(data, { maxOutputLength: UPLOAD_LIMITS.totalBytes + TAR_OVERHEAD });
  } catch (error) {
    throw new UploadError(
      (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'bad-archive',
    );
  }
  const extractor = tarExtract();
  extractor.end(tar);
  try {
    for await (const entry of extractor) {
      const { header } = entry;
      const rel = safeEntryPath(header.name);
      if (header.type === 'symlink' || header.type === 'link') throw new UploadError('link', header.name);
      if (header.type === 'directory') {
        entry.resume();
        continue;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        throw new UploadError('unsupported-entry', header.name);
      }
      out.reserve(header.name, header.size ?? 0);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      out.add(rel, Buffer.concat(chunks));
    }
  } catch (error) {
    extractor.destroy();
    throw error instanceof UploadError ? error : new UploadError('bad-archive');
  }
}

/** The lesson folder in an archive: one top-level folder holding lesson.yaml, or lesson.yaml at the top. */
function findLesson(files: Map<string, Buffer>): LessonArchive {
  const paths = [...files.keys()];
  const tops = new Set(paths.map((p) => p.split('/')[0]));
  const [onlyTop] = tops;
  if (tops.size === 1 && onlyTop && files.has(`${onlyTop}/lesson.yaml`)) {
    const folder = onlyTop;
    if (!KEBAB.test(folder)) throw new UploadError('no-lesson', folder);
    const inner: Record<string, Buffer> = {};
    for (const [p, data] of files) inner[p.slice(folder.length + 1)] = data;
    return { folder, files: inner };
  }
  const yaml = files.get('lesson.yaml');
  if (!yaml) throw new UploadError('no-lesson');
  let id: unknown;
  try {
    id = (parseYaml(yaml.toString('utf8')) as { id?: unknown } | null)?.id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !KEBAB.test(id)) throw new UploadError('no-lesson', 'lesson.yaml');
  return { folder: id, files: Object.fromEntries(files) };
}

/** Unpacks one lesson folder from a .zip or .tar.gz held in memory. */
export async function readLessonArchive(data: Buffer): Promise<LessonArchive> {
  if (data.length > UPLOAD_LIMITS.archiveBytes) throw new UploadError('too-large');
  const out = new Collector();
  if (data.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) await readZip(data, out);
  else if (data[0] === 0x1f && data[1] === 0x8b) await readTarGz(data, out);
  else throw new UploadError('unknown-format');
  return findLesson(out.files);
}
