import { forbidden } from 'next/navigation';
import { redirect } from '@/i18n/navigation';
import type { AppLocale } from '@/i18n/routing';
import { getSessionUser, type SessionUser } from '../auth';
import { canAuthor } from './access';

/** For instructor pages: signed-out users go to sign-in, students get 403. */
export async function requireAuthorPage(locale: AppLocale, here: string): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) {
    redirect({ href: { pathname: '/sign-in', query: { next: `/${locale}${here}` } }, locale });
    throw new Error('unreachable');
  }
  if (!canAuthor(user)) forbidden();
  return user;
}
