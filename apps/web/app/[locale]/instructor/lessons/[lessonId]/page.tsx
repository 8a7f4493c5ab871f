import { formatIssue, type RenderedLesson, renderLesson } from '@dockyard/lessons';
import { notFound } from 'next/navigation';
import { getTranslations, setRequestLocale } from 'next-intl/server';
import { LessonSourceForms } from '@/components/instructor/LessonSourceForms';
import { PublishButton } from '@/components/instructor/PublishButton';
import { Link } from '@/i18n/navigation';
import { type AppLocale, routing } from '@/i18n/routing';
import { getCourse } from '@/lib/course';
import { getDraft, utcMinute } from '@/lib/instructor/drafts';
import { lessonsRoot } from '@/lib/instructor/folder';
import { requireAuthorPage } from '@/lib/instructor/page-access';

export const dynamic = 'force-dynamic';

export default async function DraftPage({
  params,
}: {
  params: Promise<{ locale: string; lessonId: string }>;
}) {
  const { locale, lessonId } = (await params) as { locale: AppLocale; lessonId: string };
  setRequestLocale(locale);
  await requireAuthorPage(locale, `/instructor/lessons/${lessonId}`);
  const t = await getTranslations('instructor');
  const draft = await getDraft(lessonId);
  if (!draft) notFound();
  const { lesson, issues } = draft.result;
  // Rendered exactly as students get it (sanitized, quiz answers left out), in both languages.
  const previews: [AppLocale, RenderedLesson][] = lesson
    ? await Promise.all(
        routing.locales.map(async (l) => [l, await renderLesson(lesson, l)] as [AppLocale, RenderedLesson]),
      )
    : [];
  const idTaken = (await getCourse()).courseIds.has(lessonId);
  return (
    <div className="dy-instructor dy-draft">
      <nav className="dy-breadcrumb">
        <Link href="/instructor">← {t('title')}</Link>
      </nav>
      <h1 data-testid="draft-id">{lessonId}</h1>
      <p className="dy-muted" data-testid="draft-state">
        {draft.meta.publishedAt
          ? t('publishedAt', { when: utcMinute(draft.meta.publishedAt) })
          : t('notPublished')}
      </p>
      <section aria-labelledby="lint-title">
        <h2 id="lint-title">{t('lintTitle')}</h2>
        {issues.length === 0 ? (
          <p className="dy-feedback dy-feedback-ok" data-testid="lint-clean">
            {t('lintClean')}
          </p>
        ) : (
          <>
            <p className="dy-feedback dy-feedback-bad" data-testid="lint-count">
              {t('lintCount', { count: issues.length })}
            </p>
            <ul className="dy-lint-list" data-testid="lint-issues">
              {issues.map((issue) => (
                <li key={formatIssue(issue)} data-testid="lint-issue">
                  <code>{formatIssue(issue)}</code>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <PublishButton
        lessonId={lessonId}
        disabled={issues.length > 0 || !lesson || idTaken}
        reason={idTaken ? t('idTaken') : issues.length > 0 ? t('fixFirst') : null}
      />
      <h2>{t('replace')}</h2>
      <LessonSourceForms hasLessonsRoot={lessonsRoot() !== null} />
      {previews.length > 0 && (
        <section aria-labelledby="preview-heading">
          <h2 id="preview-heading">{t('previewTitle')}</h2>
          <div className="dy-preview-grid">
            {previews.map(([l, rendered]) => (
              <article key={l} className="dy-preview" lang={l} data-testid={`preview-${l}`}>
                <p className="dy-badge">{t(`language.${l}`)}</p>
                <h1 data-testid="preview-title">{rendered.title}</h1>
                <p className="dy-summary">{rendered.summary}</p>
                <div
                  className="dy-lesson-content"
                  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by @dockyard/lessons (rehype-sanitize)
                  dangerouslySetInnerHTML={{ __html: rendered.html }}
                />
              </article>
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
