import { notFound } from 'next/navigation';
import { setRequestLocale } from 'next-intl/server';
import { LessonWorkspace, type StepView } from '@/components/lesson/LessonWorkspace';
import { redirect } from '@/i18n/navigation';
import type { AppLocale } from '@/i18n/routing';
import { getSessionUser } from '@/lib/auth';
import { getLesson, getRenderedLesson } from '@/lib/course';
import { passedChecks, passedStepsByLesson, quizCheckId } from '@/lib/progress';

export const dynamic = 'force-dynamic';

export default async function LessonPage({
  params,
}: {
  params: Promise<{ locale: string; lessonId: string }>;
}) {
  const { locale, lessonId } = (await params) as { locale: AppLocale; lessonId: string };
  setRequestLocale(locale);
  const lesson = await getLesson(lessonId);
  if (!lesson) notFound();
  const user = await getSessionUser();
  if (!user) {
    redirect({ href: { pathname: '/sign-in', query: { next: `/${locale}/lessons/${lessonId}` } }, locale });
    return null;
  }
  const [rendered, passedSteps, checksPassed] = await Promise.all([
    getRenderedLesson(lesson, locale),
    passedStepsByLesson(user.id),
    passedChecks(user.id, lesson.id),
  ]);
  const passed = passedSteps.get(lesson.id) ?? new Set<string>();
  const steps: StepView[] = lesson.steps.map((step) => ({
    id: step.id,
    title: rendered.steps.find((s) => s.id === step.id)?.title ?? step.id,
    passed: passed.has(step.id),
    quizzes: step.checks.flatMap((check) => {
      if (check.kind !== 'quiz') return [];
      const quiz = rendered.quizzes.find((q) => q.id === check.question);
      return quiz ? [{ ...quiz, passed: checksPassed.has(quizCheckId(quiz.id)) }] : [];
    }),
    labChecks: step.checks.filter((check) => check.kind !== 'quiz').length,
  }));

  return (
    <LessonWorkspace
      lessonId={lesson.id}
      title={rendered.title}
      summary={rendered.summary}
      html={rendered.html}
      steps={steps}
      terminals={lesson.lab.terminals ?? 1}
    />
  );
}
