import { getDb } from '@dockyard/db';
import { NextResponse } from 'next/server';
import type { SessionUser } from '../auth';
import type { LessonArchive } from './archive';
import { type DraftMeta, lessonIdSchema, saveDraft } from './drafts';

/** Saves an uploaded or read lesson folder as its draft and answers with the lint outcome. */
export async function ingestLesson(
  user: SessionUser,
  lesson: LessonArchive,
  source: DraftMeta['source'],
  sourceName: string,
): Promise<NextResponse> {
  if (!lessonIdSchema.safeParse(lesson.folder).success) {
    return NextResponse.json({ error: 'no-lesson', entry: lesson.folder }, { status: 400 });
  }
  const draft = await saveDraft(lesson.folder, lesson.files, { userId: user.id, source, sourceName });
  await getDb().auditEvent.create({
    data: {
      actorId: user.id,
      action: 'lesson.draft',
      target: lesson.folder,
      data: JSON.stringify({ source, sourceName, issues: draft.result.issues.length }),
    },
  });
  return NextResponse.json({ lessonId: lesson.folder, issues: draft.result.issues.length }, { status: 201 });
}
