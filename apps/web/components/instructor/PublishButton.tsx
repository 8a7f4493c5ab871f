'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { useRouter } from '@/i18n/navigation';

export function PublishButton({
  lessonId,
  disabled,
  reason,
}: {
  lessonId: string;
  disabled: boolean;
  reason: string | null;
}) {
  const t = useTranslations('instructor');
  const router = useRouter();
  const [state, setState] = useState<'idle' | 'busy' | 'done' | 'failed'>('idle');

  async function publish() {
    setState('busy');
    const response = await fetch(`/api/instructor/lessons/${encodeURIComponent(lessonId)}/publish`, {
      method: 'POST',
    }).catch(() => null);
    setState(response?.ok ? 'done' : 'failed');
    if (response?.ok) router.refresh();
  }

  return (
    <div className="dy-publish">
      <button
        type="button"
        className="dy-button"
        onClick={publish}
        disabled={disabled || state === 'busy'}
        data-testid="publish"
      >
        {state === 'busy' ? t('working') : t('publish')}
      </button>
      {reason && <span className="dy-muted">{reason}</span>}
      <span role="status" data-testid="publish-status">
        {state === 'done' ? t('published') : state === 'failed' ? t('publishFailed') : ''}
      </span>
    </div>
  );
}
