'use client';

import Editor, { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import { useLocale, useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppLocale } from '@/i18n/routing';
import { useLab } from './LabProvider';

// Self-hosted Monaco: without this, @monaco-editor/react loads it from a CDN.
(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () =>
    new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' }),
};
loader.config({ monaco });

function isDark(): boolean {
  const set = document.documentElement.dataset.theme;
  return set ? set === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Editor for files in the lab box; loaded only when the student opens it. */
export default function EditorPanel() {
  const t = useTranslations('lab');
  const locale = useLocale() as AppLocale;
  const { socket, status, generation } = useLab();
  const [draftPath, setDraftPath] = useState('/root/Dockerfile');
  const [path, setPath] = useState('/root/Dockerfile');
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dark, setDark] = useState(isDark);
  // The editor keeps its own text (uncontrolled): re-rendering on every keystroke can drop typed characters.
  const contentRef = useRef('');
  const showContent = useCallback((text: string) => {
    contentRef.current = text;
    editorRef.current?.setValue(text);
  }, []);

  useEffect(() => {
    const onTheme = () => setDark(isDark());
    window.addEventListener('dy-theme', onTheme);
    return () => window.removeEventListener('dy-theme', onTheme);
  }, []);

  useEffect(() => {
    void generation;
    if (!socket || status !== 'connected') return;
    setNotice(null);
    socket.emit('file:read', { path }, (result) => {
      if (result.ok) showContent(result.value.content);
      // A file that does not exist yet starts empty and is created on save.
      else if (result.error.code === 'file-enoent') showContent('');
      else setNotice(t('openFailed', { reason: result.error.message[locale] }));
    });
  }, [socket, status, path, generation, locale, t, showContent]);

  const save = useCallback(() => {
    if (!socket || status !== 'connected') return;
    socket.emit('file:write', { path, content: contentRef.current, encoding: 'utf8' }, (result) => {
      setNotice(result.ok ? t('saved') : t('saveFailed', { reason: result.error.message[locale] }));
    });
  }, [socket, status, path, locale, t]);
  const saveRef = useRef(save);
  saveRef.current = save;

  return (
    <div className="dy-editor" data-testid="editor-panel">
      <form
        className="dy-editor-path"
        onSubmit={(event) => {
          event.preventDefault();
          setPath(draftPath);
        }}
      >
        <label>
          {t('editorPath')}
          <input
            value={draftPath}
            onChange={(event) => setDraftPath(event.target.value)}
            data-testid="editor-path"
          />
        </label>
        <button type="submit" className="dy-button dy-button-ghost dy-button-small" data-testid="editor-open">
          {t('open')}
        </button>
        <button
          type="button"
          className="dy-button dy-button-small"
          onClick={save}
          disabled={status !== 'connected'}
          data-testid="editor-save"
        >
          {t('save')}
        </button>
        {notice && (
          <span className="dy-muted" role="status" data-testid="editor-notice">
            {notice}
          </span>
        )}
      </form>
      {status !== 'connected' && <p className="dy-muted dy-editor-hint">{t('editorHint')}</p>}
      <div className="dy-editor-host">
        <Editor
          path={path}
          defaultValue=""
          onChange={(value) => {
            contentRef.current = value ?? '';
            setNotice((previous) => (previous === null ? previous : null));
          }}
          onMount={(editor, api) => {
            editorRef.current = editor;
            editor.setValue(contentRef.current);
            // Ctrl/Cmd+S saves into the box instead of the browser's "save page".
            editor.addCommand(api.KeyMod.CtrlCmd | api.KeyCode.KeyS, () => saveRef.current());
          }}
          language={path.endsWith('Dockerfile') ? 'dockerfile' : path.endsWith('.sh') ? 'shell' : undefined}
          theme={dark ? 'vs-dark' : 'vs'}
          options={{ minimap: { enabled: false }, fontSize: 14, automaticLayout: true }}
        />
      </div>
    </div>
  );
}
