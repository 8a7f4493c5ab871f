import { getTranslations } from 'next-intl/server';
import { Link } from '@/i18n/navigation';
import { getSessionUser } from '@/lib/auth';
import { LanguageSwitch } from './LanguageSwitch';
import { SignOutButton } from './SignOutButton';
import { ThemeToggle } from './ThemeToggle';

export async function Header() {
  const t = await getTranslations('nav');
  const user = await getSessionUser();
  return (
    <header className="dy-header">
      <Link href="/" className="dy-brand">
        <svg viewBox="0 0 64 64" width="22" height="22" aria-hidden="true">
          <path d="M10 38h44l-6 12H16z" fill="currentColor" />
          <rect x="18" y="24" width="10" height="10" fill="#ffcf33" />
          <rect x="30" y="24" width="10" height="10" fill="#7fd1ff" />
          <rect x="24" y="13" width="10" height="10" fill="#ff8a5c" />
        </svg>
        {t('brand')}
      </Link>
      <nav className="dy-nav">
        <Link href="/">{t('catalog')}</Link>
        {(user?.role === 'instructor' || user?.role === 'admin') && (
          <Link href="/instructor" data-testid="nav-instructor">
            {t('instructor')}
          </Link>
        )}
      </nav>
      <div className="dy-header-tools">
        <LanguageSwitch />
        <ThemeToggle />
        {user ? (
          <span className="dy-user">
            <span className="dy-user-name" data-testid="user-name">
              {user.name}
            </span>
            <span className="dy-badge" data-testid="user-role">
              {t(`role.${user.role}`)}
            </span>
            <SignOutButton />
          </span>
        ) : (
          <span className="dy-user">
            <Link href="/sign-in">{t('signIn')}</Link>
            <Link href="/sign-up" className="dy-button dy-button-small">
              {t('signUp')}
            </Link>
          </span>
        )}
      </div>
    </header>
  );
}
