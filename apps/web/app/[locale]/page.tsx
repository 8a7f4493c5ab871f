import { TOPICS } from '@dockyard/lessons';
import { getTranslations, setRequestLocale } from 'next-intl/server';
import { Link } from '@/i18n/navigation';
import type { AppLocale } from '@/i18n/routing';
import { getSessionUser } from '@/lib/auth';
import { getCourse } from '@/lib/course';
import { passedStepsByLesson } from '@/lib/progress';

export const dynamic = 'force-dynamic';

export default async function CatalogPage({ params }: { params: Promise<{ locale: string }> }) {
  const { locale } = (await params) as { locale: AppLocale };
  setRequestLocale(locale);
  const t = await getTranslations('catalog');
  const topicName = await getTranslations('topics');
  const [course, user] = await Promise.all([getCourse(), getSessionUser()]);
  const progress = user ? await passedStepsByLesson(user.id) : new Map<string, Set<string>>();
  const groups = TOPICS.map((topic) => ({
    topic,
    lessons: course.lessons.filter((lesson) => lesson.topic === topic),
  })).filter((group) => group.lessons.length > 0);

  return (
    <div className="dy-catalog">
      <h1>{t('title')}</h1>
      <p className="dy-muted">{t('intro')}</p>
      {!user && <p className="dy-note">{t('signInForProgress')}</p>}
      {course.errors.length > 0 && process.env.NODE_ENV === 'development' && (
        <p className="dy-warning">{t('loadErrors', { count: course.errors.length })}</p>
      )}
      {groups.length === 0 && <p>{t('empty')}</p>}
      {groups.map((group) => (
        <section key={group.topic} className="dy-topic" data-topic={group.topic}>
          <h2>{topicName(group.topic)}</h2>
          <ul className="dy-lesson-grid">
            {group.lessons.map((lesson) => {
              const passed = progress.get(lesson.id)?.size ?? 0;
              const total = lesson.steps.length;
              return (
                <li key={lesson.id} className="dy-card dy-lesson-card" data-lesson-id={lesson.id}>
                  <Link href={`/lessons/${lesson.id}`} className="dy-lesson-link">
                    <h3>{lesson.title[locale]}</h3>
                  </Link>
                  <p>{lesson.summary[locale]}</p>
                  <div className="dy-lesson-meta">
                    <span>{t('minutes', { minutes: lesson.minutes })}</span>
                    <span>{t('level', { level: lesson.level })}</span>
                    {user && (
                      <span className="dy-progress" data-testid="lesson-progress">
                        {passed === 0
                          ? t('notStarted')
                          : passed >= total
                            ? t('completed')
                            : t('progress', { passed, total })}
                      </span>
                    )}
                  </div>
                  {user && total > 0 && (
                    <progress
                      max={total}
                      value={Math.min(passed, total)}
                      aria-label={t('progress', { passed, total })}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </div>
  );
}
