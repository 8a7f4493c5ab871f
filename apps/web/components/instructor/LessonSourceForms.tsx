'use client';

import { useTranslations } from 'next-intl';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { useRouter } from '@/i18n/navigation';

const ERROR_CODES = [
  'too-large',
  'too-many-files',
  'unsafe-path',
  'link',
  'unsupported-entry',
  'bad-archive',
  'unknown-format',
  'no-lesson',
  'no-root',
  'forbidden',
  'bad-request',
] as const;
const answerSchema = z.object({
  lessonId: z.string().optional(),
  error: z.string().optional(),
  entry: z.string().nullable().optional(),
});

/** Upload a lesson archive, or name a folder under the server's lessons root; either becomes a draft. */
export function LessonSourceForms({ hasLessonsRoot }: { hasLessonsRoot: boolean }) {
  const t = useTranslations('instructor');
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(request: Promise<Response>) {
    setBusy(true);
    setError(null);
    try {
      const response = await request;
      const body = answerSchema.safeParse(await response.json().catch(() => null));
      const answer = body.success ? body.data : {};
      if (response.ok && answer.lessonId) {
        router.push(`/instructor/lessons/${answer.lessonId}`);
        router.refresh();
        return;
      }
      const code = (ERROR_CODES as readonly string[]).includes(answer.error ?? '') ? answer.error : 'generic';
      const message = t(`errors.${code as (typeof ERROR_CODES)[number] | 'generic'}`);
      setError(answer.entry ? `${message} (${answer.entry})` : message);
    } catch {
      setError(t('errors.generic'));
    } finally {
      setBusy(false);
    }
  }

  function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError(t('errors.chooseFile'));
      return;
    }
    void send(fetch('/api/instructor/lessons/upload', { method: 'POST', body: data }));
  }

  function fromFolder(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const folder = String(new FormData(event.currentTarget).get('path') ?? '').trim();
    if (!folder) return;
    void send(
      fetch('/api/instructor/lessons/folder', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: folder }),
      }),
    );
  }

  return (
    <div className="dy-source-forms">
      <form onSubmit={upload} className="dy-card" data-testid="upload-form">
        <label>
          {t('uploadLabel')}
          <input type="file" name="file" accept=".zip,.tar.gz,.tgz,application/zip,application/gzip" />
        </label>
        <p className="dy-muted">{t('uploadHint')}</p>
        <button type="submit" className="dy-button" disabled={busy} data-testid="upload-submit">
          {busy ? t('working') : t('upload')}
        </button>
      </form>
      {hasLessonsRoot && (
        <form onSubmit={fromFolder} className="dy-card" data-testid="folder-form">
          <label>
            {t('folderLabel')}
            <input name="path" placeholder="my-lesson" maxLength={300} />
          </label>
          <p className="dy-muted">{t('folderHint')}</p>
          <button type="submit" className="dy-button" disabled={busy}>
            {busy ? t('working') : t('useFolder')}
          </button>
        </form>
      )}
      {error && (
        <p className="dy-feedback dy-feedback-bad" role="alert" data-testid="source-error">
          {error}
        </p>
      )}
    </div>
  );
}
