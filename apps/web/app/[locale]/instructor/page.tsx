import { getTranslations, setRequestLocale } from 'next-intl/server';
import { LessonSourceForms } from '@/components/instructor/LessonSourceForms';
import { Link } from '@/i18n/navigation';
import type { AppLocale } from '@/i18n/routing';
import { listDrafts, utcMinute } from '@/lib/instructor/drafts';
import { lessonsRoot } from '@/lib/instructor/folder';
import { requireAuthorPage } from '@/lib/instructor/page-access';

export const dynamic = 'force-dynamic';

export default async function InstructorPage({ params }: { params: Promise<{ locale: string }> }) {
  const { locale } = (await params) as { locale: AppLocale };
  setRequestLocale(locale);
  await requireAuthorPage(locale, '/instructor');
  const t = await getTranslations('instructor');
  const drafts = await listDrafts();
  return (
    <div className="dy-catalog dy-instructor">
      <h1>{t('title')}</h1>
      <p className="dy-muted">{t('intro')}</p>
      <LessonSourceForms hasLessonsRoot={lessonsRoot() !== null} />
      <h2>{t('drafts')}</h2>
      {drafts.length === 0 ? (
        <p className="dy-muted">{t('noDrafts')}</p>
      ) : (
        <ul className="dy-draft-list" data-testid="draft-list">
          {drafts.map((draft) => (
            <li key={draft.id}>
              <Link href={`/instructor/lessons/${draft.id}`}>{draft.id}</Link>{' '}
              <span className="dy-muted">
                {draft.publishedAt
                  ? t('publishedAt', { when: utcMinute(draft.publishedAt) })
                  : t('notPublished')}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
