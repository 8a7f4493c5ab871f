'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useState } from 'react';

type Theme = 'light' | 'dark';

function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === 'dark' || set === 'light') return set;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function ThemeToggle() {
  const t = useTranslations('nav');
  const [theme, setTheme] = useState<Theme | null>(null);
  useEffect(() => setTheme(currentTheme()), []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="dy-button dy-button-ghost"
      aria-label={next === 'dark' ? t('themeDark') : t('themeLight')}
      title={next === 'dark' ? t('themeDark') : t('themeLight')}
      data-testid="theme-toggle"
      onClick={() => {
        document.documentElement.dataset.theme = next;
        localStorage.setItem('dy-theme', next);
        setTheme(next);
        window.dispatchEvent(new CustomEvent('dy-theme', { detail: next }));
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}
