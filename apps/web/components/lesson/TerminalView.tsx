'use client';

import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { TERMINAL_COLS, TERMINAL_ROWS, terminalDataSchema, terminalExitSchema } from '@dockyard/protocol';
import { useLocale, useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import type { AppLocale } from '@/i18n/routing';
import { useLab } from './LabProvider';

const OPEN_RETRIES = 2;
const OPEN_RETRY_DELAY_MS = 700;

const clamp = (value: number, bounds: { min: number; max: number }) =>
  Math.min(bounds.max, Math.max(bounds.min, value));

function themeColors() {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : window.matchMedia('(prefers-color-scheme: dark)').matches;
  return dark
    ? { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3' }
    : { background: '#fbfbfd', foreground: '#1f2328', cursor: '#1f2328', selectionBackground: '#b6d7ff' };
}

/** One xterm.js terminal bridged to a sandboxd PTY over the lab socket. */
export function TerminalView({ terminalId, visible }: { terminalId: string; visible: boolean }) {
  const t = useTranslations('lab');
  const { socket, status, generation } = useLab();
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<{ term: Terminal; fit: FitAddon } | null>(null);
  const [ready, setReady] = useState(false);
  const locale = useLocale() as AppLocale;
  const localeRef = useRef(locale);
  localeRef.current = locale;
  const endedText = useRef(t('ended'));
  endedText.current = t('ended');

  // xterm touches `window` when imported, so it is loaded in the browser only.
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
      ]);
      if (disposed || !hostRef.current) return;
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace',
        fontSize: 14,
        theme: themeColors(),
        scrollback: 5000,
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(hostRef.current);
      termRef.current = { term, fit };
      setReady(true);
      const refit = () => {
        try {
          fit.fit();
        } catch {
          // Hidden tabs have no size; they fit when shown.
        }
      };
      refit();
      const observer = new ResizeObserver(refit);
      observer.observe(hostRef.current);
      const onTheme = () => {
        term.options.theme = themeColors();
      };
      window.addEventListener('dy-theme', onTheme);
      cleanup = () => {
        observer.disconnect();
        window.removeEventListener('dy-theme', onTheme);
        term.dispose();
        termRef.current = null;
      };
    })();
    return () => {
      disposed = true;
      cleanup();
    };
  }, []);

  // A tab's shell starts when the tab is first shown, not with the page.
  const [shown, setShown] = useState(visible);
  useEffect(() => {
    if (!visible) return;
    setShown(true);
    try {
      termRef.current?.fit.fit();
    } catch {
      // Not laid out yet; the ResizeObserver fits it.
    }
  }, [visible]);

  useEffect(() => {
    // generation: a new connection re-opens (and so re-attaches) the terminal.
    void generation;
    const entry = termRef.current;
    if (!socket || status !== 'connected' || !entry || !ready || !shown) return;
    const { term } = entry;
    const size = () => ({
      terminalId,
      rows: clamp(term.rows, TERMINAL_ROWS),
      cols: clamp(term.cols, TERMINAL_COLS),
    });
    // sandboxd replays the shell's scrollback on (re)attach, so start from a clean screen.
    term.reset();
    let closed = false;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const open = (triesLeft: number) => {
      socket.emit('terminal:open', size(), (reply) => {
        if (reply.ok || closed) return;
        // Starting a shell can fail transiently on a busy host; try again before showing the error.
        if (triesLeft > 0) retryTimer = setTimeout(() => open(triesLeft - 1), OPEN_RETRY_DELAY_MS);
        else term.write(`\r\n[${reply.error.message[localeRef.current]}]\r\n`);
      });
    };
    open(OPEN_RETRIES);
    const onData = (payload: unknown) => {
      const parsed = terminalDataSchema.safeParse(payload);
      if (parsed.success && parsed.data.terminalId === terminalId) term.write(parsed.data.data);
    };
    const onExit = (payload: unknown) => {
      const parsed = terminalExitSchema.safeParse(payload);
      if (parsed.success && parsed.data.terminalId === terminalId)
        term.write(`\r\n[${endedText.current}]\r\n`);
    };
    socket.on('terminal:data', onData);
    socket.on('terminal:exit', onExit);
    const input = term.onData((data) => socket.emit('terminal:data', { terminalId, data }));
    const resize = term.onResize(() => socket.emit('terminal:resize', size()));
    return () => {
      closed = true;
      clearTimeout(retryTimer);
      socket.off('terminal:data', onData);
      socket.off('terminal:exit', onExit);
      input.dispose();
      resize.dispose();
    };
  }, [socket, status, terminalId, ready, shown, generation]);

  return (
    <div className="dy-terminal" ref={hostRef} hidden={!visible} data-testid={`terminal-${terminalId}`} />
  );
}
