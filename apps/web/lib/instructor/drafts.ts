// Lesson drafts and published lessons live on disk under the data dir (see README "Instructor lessons"):
//   <data>/lesson-drafts/<id>/<id>/…     the uploaded folder, as a lesson folder the loader reads
//   <data>/lesson-drafts/<id>/draft.json who uploaded it, when, from where
//   <data>/lessons-published/<id>/…      copied there on publish; the catalog lists these with the course
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type LessonResult, lessonFilesSchema, readLesson } from '@dockyard/lessons';
import { z } from 'zod';
import { dataDir } from '../secrets';

export const draftsRoot = path.join(dataDir, 'lesson-drafts');
export const publishedRoot = path.join(dataDir, 'lessons-published');

export const lessonIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);

const draftMetaSchema = z.object({
  id: lessonIdSchema,
  uploadedBy: z.string(),
  uploadedAt: z.string(),
  source: z.enum(['upload', 'folder']),
  sourceName: z.string().max(300),
  publishedAt: z.string().nullable(),
});
export type DraftMeta = z.infer<typeof draftMetaSchema>;

/** `2026-11-23 16:05 UTC`: the same on server and client, in either language. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export interface Draft {
  meta: DraftMeta;
  result: LessonResult;
}

function draftDir(id: string): string {
  return path.join(draftsRoot, lessonIdSchema.parse(id));
}

/** `rel` resolved inside `root`, or an error: the last guard before anything is written. */
function inside(root: string, rel: string): string {
  const target = path.resolve(root, rel);
  if (!target.startsWith(root + path.sep)) throw new Error(`path escapes the lesson folder: ${rel}`);
  return target;
}

/** Replaces directory `target` by `staged` (same file system) with one rename each way. */
async function swapIn(staged: string, target: string): Promise<void> {
  // Hidden name: the catalog loader skips dot folders while the swap is under way.
  const old = path.join(
    path.dirname(target),
    `.${path.basename(target)}.old-${crypto.randomBytes(4).toString('hex')}`,
  );
  await fs.rename(target, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await fs.rename(staged, target);
  await fs.rm(old, { recursive: true, force: true });
}

/** Stores (or replaces) the draft of lesson `id`; returns it linted. */
export async function saveDraft(
  id: string,
  files: Record<string, Buffer>,
  origin: { userId: string; source: DraftMeta['source']; sourceName: string },
): Promise<Draft> {
  const checked = lessonFilesSchema.parse(files);
  const target = draftDir(id);
  await fs.mkdir(draftsRoot, { recursive: true });
  const staged = path.join(draftsRoot, `.${id}.new-${crypto.randomBytes(4).toString('hex')}`);
  try {
    const lessonRoot = path.join(staged, id);
    await fs.mkdir(lessonRoot, { recursive: true });
    for (const [rel, content] of Object.entries(checked)) {
      const file = inside(lessonRoot, rel);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, content, { flag: 'wx' });
    }
    const meta: DraftMeta = {
      id,
      uploadedBy: origin.userId,
      uploadedAt: new Date().toISOString(),
      source: origin.source,
      sourceName: origin.sourceName.slice(0, 300),
      publishedAt: null,
    };
    await fs.writeFile(path.join(staged, 'draft.json'), JSON.stringify(meta, null, 2));
    await swapIn(staged, target);
    return { meta, result: await readLesson(path.join(target, id)) };
  } finally {
    await fs.rm(staged, { recursive: true, force: true });
  }
}

async function readMeta(id: string): Promise<DraftMeta | null> {
  try {
    return draftMetaSchema.parse(
      JSON.parse(await fs.readFile(path.join(draftDir(id), 'draft.json'), 'utf8')),
    );
  } catch {
    return null;
  }
}

export async function getDraft(id: string): Promise<Draft | null> {
  if (!lessonIdSchema.safeParse(id).success) return null;
  const meta = await readMeta(id);
  if (!meta) return null;
  return { meta, result: await readLesson(path.join(draftDir(id), id)) };
}

export async function listDrafts(): Promise<DraftMeta[]> {
  const names = await fs.readdir(draftsRoot).catch(() => [] as string[]);
  const metas = await Promise.all(
    names.filter((n) => lessonIdSchema.safeParse(n).success).map((n) => readMeta(n)),
  );
  return metas
    .filter((m): m is DraftMeta => m !== null)
    .sort((a, b) => b.uploadedAt.localeCompare(a.uploadedAt));
}

export class PublishError extends Error {
  constructor(readonly code: 'not-found' | 'has-errors' | 'id-taken') {
    super(code);
    this.name = 'PublishError';
  }
}

/**
 * Copies a draft without lint errors to the published lessons. `courseIds` are the lessons of the course
 * folder itself, which a draft may not replace.
 */
export async function publishDraft(id: string, courseIds: ReadonlySet<string>): Promise<DraftMeta> {
  const draft = await getDraft(id);
  if (!draft) throw new PublishError('not-found');
  if (!draft.result.lesson || draft.result.issues.length > 0) throw new PublishError('has-errors');
  if (courseIds.has(id)) throw new PublishError('id-taken');
  await fs.mkdir(publishedRoot, { recursive: true });
  const staged = path.join(publishedRoot, `.${id}.new-${crypto.randomBytes(4).toString('hex')}`);
  try {
    await fs.cp(path.join(draftDir(id), id), staged, { recursive: true, errorOnExist: true, force: false });
    await swapIn(staged, path.join(publishedRoot, id));
  } finally {
    await fs.rm(staged, { recursive: true, force: true });
  }
  const meta = { ...draft.meta, publishedAt: new Date().toISOString() };
  await fs.writeFile(path.join(draftDir(id), 'draft.json'), JSON.stringify(meta, null, 2));
  return meta;
}
