// Lint and load a lesson that arrives as files (an instructor upload or an editor preview), not as a folder.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { type LessonResult, readLesson } from './load.js';
import { kebabId, lessonPath } from './schema.js';

const MAX_FILES = 200;
const MAX_BYTES = 5 * 1024 * 1024;

export const lessonFilesSchema = z
  .record(lessonPath, z.union([z.string(), z.instanceof(Uint8Array)]))
  .refine((files) => Object.keys(files).length <= MAX_FILES, { message: `at most ${MAX_FILES} files` })
  .refine(
    (files) =>
      Object.values(files).reduce(
        (n, f) => n + (typeof f === 'string' ? Buffer.byteLength(f) : f.byteLength),
        0,
      ) <= MAX_BYTES,
    { message: `at most ${MAX_BYTES} bytes in all` },
  );

/**
 * Checks a lesson given as `{ 'lesson.yaml': …, 'en.md': …, 'solutions/x.sh': … }`, as if it were the folder
 * `<folder>/`. Returns the same as readLesson; the returned lesson's `dir` no longer exists (render needs only
 * its Markdown). Requires between lessons are not checked here.
 */
export async function readLessonFiles(
  folder: string,
  files: Record<string, string | Uint8Array>,
): Promise<LessonResult> {
  const name = kebabId.parse(folder);
  const checked = lessonFilesSchema.parse(files);
  const base = await mkdtemp(path.join(tmpdir(), 'dockyard-lesson-'));
  try {
    const dir = path.join(base, name);
    await mkdir(dir);
    for (const [rel, content] of Object.entries(checked)) {
      const target = path.join(dir, rel);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    return await readLesson(dir);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}
