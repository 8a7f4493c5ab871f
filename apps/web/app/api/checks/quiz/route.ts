import { getDb } from '@dockyard/db';
import { gradeQuiz } from '@dockyard/lessons';
import { type QuizCheckResponse, quizCheckRequestSchema } from '@dockyard/protocol';
import { NextResponse } from 'next/server';
import { getSessionUser } from '@/lib/auth';
import { getLesson } from '@/lib/course';
import { passedChecks, quizCheckId, syncLessonRow } from '@/lib/progress';

export const dynamic = 'force-dynamic';

/** Grades a quiz answer server-side (answers never reach the browser) and records the attempt. */
export async function POST(request: Request) {
  const user = await getSessionUser();
  if (!user) return NextResponse.json({ error: 'unauthenticated' }, { status: 401 });
  const parsed = quizCheckRequestSchema.safeParse(await request.json().catch(() => null));
  if (!parsed.success) return NextResponse.json({ error: 'bad-request' }, { status: 400 });
  const { lessonId, stepId, quizId } = parsed.data;
  const answer = Array.isArray(parsed.data.answer) ? parsed.data.answer.join(',') : parsed.data.answer;

  const lesson = await getLesson(lessonId);
  const step = lesson?.steps.find((s) => s.id === stepId);
  const quizIsInStep = step?.checks.some((c) => c.kind === 'quiz' && c.question === quizId);
  if (!lesson || !step || !quizIsInStep) return NextResponse.json({ error: 'not-found' }, { status: 404 });

  const grade = gradeQuiz(lesson, quizId, answer);
  const passed = grade.status === 'correct';
  await syncLessonRow(lesson);
  const db = getDb();
  await db.checkAttempt.create({
    data: {
      userId: user.id,
      lessonId,
      stepId,
      checkId: quizCheckId(quizId),
      kind: 'quiz',
      passed,
      answer: JSON.stringify(parsed.data.answer),
      contentHash: lesson.hash,
    },
  });

  // A step passes once every one of its checks has passed at least once.
  const passedIds = await passedChecks(user.id, lessonId);
  const stepPassed = step.checks.every((c) => c.kind === 'quiz' && passedIds.has(quizCheckId(c.question)));
  const key = { userId_lessonId_stepId: { userId: user.id, lessonId, stepId } };
  const previous = await db.stepProgress.findUnique({ where: key });
  await db.stepProgress.upsert({
    where: key,
    create: {
      userId: user.id,
      lessonId,
      stepId,
      attempts: 1,
      passed: stepPassed,
      passedAt: stepPassed ? new Date() : null,
    },
    update: {
      attempts: { increment: 1 },
      ...(stepPassed && !previous?.passed ? { passed: true, passedAt: new Date() } : {}),
    },
  });

  const response: QuizCheckResponse = { passed, stepPassed: stepPassed || Boolean(previous?.passed) };
  return NextResponse.json({ ...response, pending: grade.status === 'pending' });
}
