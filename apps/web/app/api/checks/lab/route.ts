import { getDb } from '@dockyard/db';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getSessionUser } from '@/lib/auth';
import { getLesson } from '@/lib/course';
import { labCheckId, recordStepAttempt, syncLessonRow } from '@/lib/progress';
import { limitChecks } from '@/lib/rate-limit';
import { LabCheckError, runLabCheck } from '@/lib/sandbox';

export const dynamic = 'force-dynamic';

const bodySchema = z.object({ lessonId: z.string().min(1).max(100), stepId: z.string().min(1).max(100) });

/** Runs a step's hands-on checks in the student's box (via sandboxd) and records the outcome. */
export async function POST(request: Request) {
  const user = await getSessionUser();
  if (!user) return NextResponse.json({ error: 'unauthenticated' }, { status: 401 });
  const limited = limitChecks('lab', user.id);
  if (limited) return limited;
  const body = bodySchema.safeParse(await request.json().catch(() => null));
  if (!body.success) return NextResponse.json({ error: 'bad-request' }, { status: 400 });
  const { lessonId, stepId } = body.data;
  const lesson = await getLesson(lessonId);
  const step = lesson?.steps.find((s) => s.id === stepId);
  if (!lesson || !step?.checks.some((c) => c.kind !== 'quiz')) {
    return NextResponse.json({ error: 'not-found' }, { status: 404 });
  }

  let result: Awaited<ReturnType<typeof runLabCheck>>;
  try {
    result = await runLabCheck({ sub: user.id, lesson: lessonId, role: user.role }, stepId);
  } catch (error) {
    const lab = error instanceof LabCheckError ? error.error : null;
    return NextResponse.json({ error: 'lab-unavailable', lab }, { status: 503 });
  }

  await syncLessonRow(lesson);
  const db = getDb();
  await db.checkAttempt.create({
    data: {
      userId: user.id,
      lessonId,
      stepId,
      checkId: labCheckId(stepId),
      kind: 'lab',
      passed: result.passed,
      answer: JSON.stringify(result.results.map((r) => ({ checkId: r.checkId, passed: r.passed }))),
      contentHash: lesson.hash,
    },
  });
  const stepPassed = await recordStepAttempt(user.id, lessonId, step);
  return NextResponse.json({ ...result, stepPassed });
}
