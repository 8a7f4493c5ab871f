import { getDb } from '@dockyard/db';
import { gradeQuiz } from '@dockyard/lessons';
import { type QuizCheckResponse, quizCheckRequestSchema } from '@dockyard/protocol';
import { NextResponse } from 'next/server';
import { getSessionUser } from '@/lib/auth';
import { getLesson } from '@/lib/course';
import { quizCheckId, recordStepAttempt, syncLessonRow } from '@/lib/progress';
import { limitChecks } from '@/lib/rate-limit';

export const dynamic = 'force-dynamic';

/** Grades a quiz answer server-side (answers never reach the browser) and records the attempt. */
export async function POST(request: Request) {
  const user = await getSessionUser();
  if (!user) return NextResponse.json({ error: 'unauthenticated' }, { status: 401 });
  const limited = limitChecks('quiz', user.id);
  if (limited) return limited;
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

  const stepPassed = await recordStepAttempt(user.id, lessonId, step);

  const response: QuizCheckResponse = { passed, stepPassed };
  return NextResponse.json({ ...response, pending: grade.status === 'pending' });
}
