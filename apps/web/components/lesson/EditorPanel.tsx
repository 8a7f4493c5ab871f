'use client';

import Editor, { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';
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
  const { socket, status } = useLab();
  const [path, setPath] = useState('/root/Dockerfile');
  const [content, setContent] = useState('');
  const [dark, setDark] = useState(isDark);

  useEffect(() => {
    const onTheme = () => setDark(isDark());
    window.addEventListener('dy-theme', onTheme);
    return () => window.removeEventListener('dy-theme', onTheme);
  }, []);

  useEffect(() => {
    if (!socket || status !== 'connected') return;
    socket.emit('file:read', { path }, (result) => {
      if (result.ok) setContent(result.value.content);
    });
  }, [socket, status, path]);

  return (
    <div className="dy-editor" data-testid="editor-panel">
      <label className="dy-editor-path">
        {t('editorPath')}
        <input
          value={path}
          onChange={(event) => setPath(event.target.value)}
          onBlur={() => {
            if (socket && status === 'connected') {
              socket.emit('file:write', { path, content, encoding: 'utf8' }, () => {});
            }
          }}
        />
      </label>
      {status !== 'connected' && <p className="dy-muted dy-editor-hint">{t('editorHint')}</p>}
      <div className="dy-editor-host">
        <Editor
          value={content}
          onChange={(value) => setContent(value ?? '')}
          language={path.endsWith('Dockerfile') ? 'dockerfile' : path.endsWith('.sh') ? 'shell' : undefined}
          theme={dark ? 'vs-dark' : 'vs'}
          options={{ minimap: { enabled: false }, fontSize: 14, automaticLayout: true }}
        />
      </div>
    </div>
  );
}
