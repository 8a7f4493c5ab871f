'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import { useLab } from './LabProvider';

const NOTICE_MS = 2000;

/** Copies text without the async clipboard API (pages served over plain http to another host). */
function copyWithSelection(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } finally {
    area.remove();
  }
}

/** "Run in terminal" and "Copy" for one lesson code block (`<pre class="dy-code" data-run data-copy>`). */
export function CodeActions({
  code,
  run,
  copy,
  index,
}: {
  code: string;
  run: boolean;
  copy: boolean;
  index: number;
}) {
  const t = useTranslations('code');
  const { status, runInTerminal } = useLab();
  const [notice, setNotice] = useState<'copied' | 'copyFailed' | 'sent' | 'labNotReady' | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  function show(next: typeof notice) {
    setNotice(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setNotice(null), NOTICE_MS);
  }

  async function onCopy() {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(code);
      else if (!copyWithSelection(code)) throw new Error('copy refused');
      show('copied');
    } catch {
      show(copyWithSelection(code) ? 'copied' : 'copyFailed');
    }
  }

  function onRun() {
    show(runInTerminal(code) ? 'sent' : 'labNotReady');
  }

  return (
    <div className="dy-code-actions" data-testid={`code-actions-${index}`}>
      {run && (
        <button
          type="button"
          className="dy-button dy-button-small"
          onClick={onRun}
          disabled={status !== 'connected'}
          title={status === 'connected' ? t('runTitle') : t('labNotReady')}
          data-testid={`code-run-${index}`}
        >
          ▶ {t('run')}
        </button>
      )}
      {copy && (
        <button
          type="button"
          className="dy-button dy-button-ghost dy-button-small"
          onClick={onCopy}
          title={t('copyTitle')}
          data-testid={`code-copy-${index}`}
        >
          {t('copy')}
        </button>
      )}
      <span className="dy-code-notice" role="status" aria-live="polite" data-testid={`code-notice-${index}`}>
        {notice ? t(notice) : ''}
      </span>
    </div>
  );
}
