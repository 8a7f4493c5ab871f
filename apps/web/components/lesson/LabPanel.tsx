'use client';

import dynamic from 'next/dynamic';
import { useLocale, useTranslations } from 'next-intl';
import { useState } from 'react';
import type { AppLocale } from '@/i18n/routing';
import { useLab } from './LabProvider';
import { TerminalView } from './TerminalView';

// Monaco is large: only fetched when the editor is opened, never rendered on the server.
const EditorPanel = dynamic(() => import('./EditorPanel'), {
  ssr: false,
  loading: () => <EditorLoading />,
});

function EditorLoading() {
  const t = useTranslations('lab');
  return <div className="dy-editor-loading">{t('editorLoading')}</div>;
}

export function LabPanel({ terminals }: { terminals: number }) {
  const t = useTranslations('lab');
  const locale = useLocale() as AppLocale;
  const { status, retry, message, stopReason, activeTerminal, setActiveTerminal } = useLab();
  const active = Number(activeTerminal.slice(1)) || 0;
  const setActive = (index: number) => setActiveTerminal(`t${index}`);
  const [editorOpen, setEditorOpen] = useState(false);
  const count = Math.min(4, Math.max(1, terminals));

  return (
    <section className="dy-lab-pane" aria-label={t('terminal')}>
      <div className="dy-tabs" role="tablist">
        {Array.from({ length: count }, (_, index) => (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: tabs are positional
            key={index}
            type="button"
            role="tab"
            aria-selected={active === index}
            className="dy-tab"
            onClick={() => setActive(index)}
          >
            {t('tab', { n: index + 1 })}
          </button>
        ))}
        <span className={`dy-lab-status dy-lab-${status}`} data-testid="lab-status">
          {status === 'connected'
            ? t('connected')
            : status === 'connecting'
              ? t('connecting')
              : status === 'starting'
                ? t('starting')
                : status === 'error'
                  ? t('errorTitle')
                  : t('unavailableTitle')}
        </span>
        <button
          type="button"
          className="dy-button dy-button-ghost dy-button-small"
          onClick={() => setEditorOpen((open) => !open)}
          data-testid="editor-toggle"
        >
          {editorOpen ? t('closeEditor') : t('openEditor')}
        </button>
      </div>
      <div className={`dy-lab-body${editorOpen ? ' dy-with-editor' : ''}`}>
        <div className="dy-terminals">
          {Array.from({ length: count }, (_, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: tabs are positional
            <TerminalView key={index} terminalId={`t${index}`} visible={active === index} />
          ))}
          {status !== 'connected' && (
            <div className="dy-lab-overlay" data-testid="lab-overlay" role="status">
              {status === 'connecting' || status === 'starting' ? (
                <p>{status === 'starting' ? t('starting') : t('connecting')}</p>
              ) : status === 'error' && stopReason ? (
                <>
                  <h2>
                    {stopReason === 'died'
                      ? t('diedTitle')
                      : stopReason === 'left'
                        ? t('leftTitle')
                        : t('stoppedTitle')}
                  </h2>
                  <p data-testid="lab-stopped" data-reason={stopReason}>
                    {message
                      ? message[locale]
                      : stopReason === 'died'
                        ? t('diedBody')
                        : stopReason === 'left'
                          ? t('leftBody')
                          : t('unavailableBody')}
                  </p>
                  <button type="button" className="dy-button" onClick={retry} data-testid="lab-new-machine">
                    {t('newMachine')}
                  </button>
                </>
              ) : status === 'error' ? (
                <>
                  <h2>{t('errorTitle')}</h2>
                  <p data-testid="lab-error">{message ? message[locale] : t('unavailableBody')}</p>
                  <button type="button" className="dy-button" onClick={retry} data-testid="lab-retry">
                    {t('retry')}
                  </button>
                </>
              ) : (
                <>
                  <h2>{t('unavailableTitle')}</h2>
                  <p>{t('unavailableBody')}</p>
                  <button type="button" className="dy-button" onClick={retry} data-testid="lab-retry">
                    {t('retry')}
                  </button>
                </>
              )}
            </div>
          )}
        </div>
        {editorOpen && <EditorPanel />}
      </div>
    </section>
  );
}
