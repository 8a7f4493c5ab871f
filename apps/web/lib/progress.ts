import { getDb } from '@dockyard/db';
import type { Lesson, Step } from '@dockyard/lessons';

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

/** The check id a step's hands-on (lab) checks are recorded under: they are graded together by sandboxd. */
export function labCheckId(stepId: string): string {
  return `lab:${stepId}`;
}

/**
 * Records one more attempt at a step after a check attempt was saved. A step passes once each of its parts has
 * passed at least once: every quiz, and its hands-on checks if it has any. Returns whether it passes now.
 */
export async function recordStepAttempt(userId: string, lessonId: string, step: Step): Promise<boolean> {
  const passedIds = await passedChecks(userId, lessonId);
  const hasLabChecks = step.checks.some((c) => c.kind !== 'quiz');
  const stepPassed =
    (!hasLabChecks || passedIds.has(labCheckId(step.id))) &&
    step.checks.every((c) => c.kind !== 'quiz' || passedIds.has(quizCheckId(c.question)));
  const db = getDb();
  const key = { userId_lessonId_stepId: { userId, lessonId, stepId: step.id } };
  const previous = await db.stepProgress.findUnique({ where: key });
  await db.stepProgress.upsert({
    where: key,
    create: {
      userId,
      lessonId,
      stepId: step.id,
      attempts: 1,
      passed: stepPassed,
      passedAt: stepPassed ? new Date() : null,
    },
    update: {
      attempts: { increment: 1 },
      ...(stepPassed && !previous?.passed ? { passed: true, passedAt: new Date() } : {}),
    },
  });
  return stepPassed || Boolean(previous?.passed);
}
