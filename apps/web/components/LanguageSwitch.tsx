'use client';

import { useParams } from 'next/navigation';
import { useLocale, useTranslations } from 'next-intl';
import { useTransition } from 'react';
import { usePathname, useRouter } from '@/i18n/navigation';
import type { AppLocale } from '@/i18n/routing';
import { saveScrollAnchor } from '@/lib/scroll-anchor';

export function LanguageSwitch() {
  const t = useTranslations('nav');
  const locale = useLocale() as AppLocale;
  const router = useRouter();
  const pathname = usePathname();
  const params = useParams();
  const [pending, startTransition] = useTransition();
  const other: AppLocale = locale === 'zh-CN' ? 'en' : 'zh-CN';

  return (
    <button
      type="button"
      className="dy-button dy-button-ghost"
      aria-label={t('language')}
      lang={other}
      disabled={pending}
      data-testid="language-switch"
      onClick={() => {
        saveScrollAnchor();
        startTransition(() => {
          // Same route in the other language; the lesson pane restores its scroll anchor itself.
          // @ts-expect-error -- params of the current dynamic route always fit its pathname
          router.replace({ pathname, params }, { locale: other, scroll: false });
        });
      }}
    >
      {t('switchTo')}
    </button>
  );
}
