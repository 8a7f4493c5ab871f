import { getDb } from '@dockyard/db';
import type { Lesson } from '@dockyard/lessons';

/** Step ids the user has passed, per lesson id. */
export async function passedStepsByLesson(userId: string): Promise<Map<string, Set<string>>> {
  const rows = await getDb().stepProgress.findMany({
    where: { userId, passed: true },
    select: { lessonId: true, stepId: true },
  });
  const byLesson = new Map<string, Set<string>>();
  for (const row of rows) {
    const steps = byLesson.get(row.lessonId) ?? new Set<string>();
    steps.add(row.stepId);
    byLesson.set(row.lessonId, steps);
  }
  return byLesson;
}

/** Check ids (`quiz:<id>` for quizzes) the user has passed in one lesson. */
export async function passedChecks(userId: string, lessonId: string): Promise<Set<string>> {
  const rows = await getDb().checkAttempt.findMany({
    where: { userId, lessonId, passed: true },
    select: { checkId: true },
    distinct: ['checkId'],
  });
  return new Set(rows.map((row) => row.checkId));
}

/** Keeps the Lesson row (progress rows point at it) in step with the lesson folder. */
export async function syncLessonRow(lesson: Lesson): Promise<void> {
  const data = {
    topic: lesson.topic,
    titleZh: lesson.title['zh-CN'],
    titleEn: lesson.title.en,
    contentHash: lesson.hash,
  };
  const db = getDb();
  const existing = await db.lesson.findUnique({ where: { id: lesson.id }, select: { contentHash: true } });
  if (!existing) await db.lesson.create({ data: { id: lesson.id, ...data } });
  else if (existing.contentHash !== lesson.hash) {
    await db.lesson.update({ where: { id: lesson.id }, data: { ...data, version: { increment: 1 } } });
  }
}

export function quizCheckId(quizId: string): string {
  return `quiz:${quizId}`;
}
