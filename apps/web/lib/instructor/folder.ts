// A lesson folder on the server, named relative to DOCKYARD_LESSONS_DIR (e.g. a Git checkout instructors
// keep there). The resolved folder must stay inside that root; links are refused, not followed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type LessonArchive, UPLOAD_LIMITS, UploadError } from './archive';

export const folderRequestSchema = z.object({
  path: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .refine((p) => !p.includes('\0')),
});

export function lessonsRoot(): string | null {
  const root = process.env.DOCKYARD_LESSONS_DIR;
  return root ? path.resolve(root) : null;
}

/** Reads the lesson folder `rel` under `root` into memory with the same caps as an upload. */
export async function readLessonFolder(root: string, rel: string): Promise<LessonArchive> {
  const realRoot = await fs.realpath(root);
  const requested = path.resolve(realRoot, rel);
  let real: string;
  try {
    real = await fs.realpath(requested);
  } catch {
    throw new UploadError('no-lesson', rel);
  }
  if (!real.startsWith(realRoot + path.sep)) throw new UploadError('unsafe-path', rel);
  if (real !== requested) throw new UploadError('link', rel);
  const files: Record<string, Buffer> = {};
  let count = 0;
  let total = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const relPath = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) throw new UploadError('link', relPath);
      if (entry.isDirectory()) {
        if (entry.name === '.git') continue;
        await walk(full, relPath);
        continue;
      }
      if (!entry.isFile()) throw new UploadError('unsupported-entry', relPath);
      count += 1;
      if (count > UPLOAD_LIMITS.files) throw new UploadError('too-many-files');
      const { size } = await fs.lstat(full);
      total += size;
      if (total > UPLOAD_LIMITS.totalBytes) throw new UploadError('too-large', relPath);
      files[relPath] = await fs.readFile(full);
    }
  };
  await walk(real, '');
  if (!files['lesson.yaml']) throw new UploadError('no-lesson', rel);
  return { folder: path.basename(real), files };
}
