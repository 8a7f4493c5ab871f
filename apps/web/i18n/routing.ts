import { defineRouting } from 'next-intl/routing';

export const locales = ['zh-CN', 'en'] as const;
export type AppLocale = (typeof locales)[number];

export const routing = defineRouting({
  locales,
  // Used when Accept-Language names neither; Chinese-preferring browsers negotiate zh-CN.
  defaultLocale: 'zh-CN',
  localePrefix: 'always',
});
