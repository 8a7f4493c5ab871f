'use client';

import { useTranslations } from 'next-intl';
import { type FormEvent, useState } from 'react';
import { Link, useRouter } from '@/i18n/navigation';
import { authClient } from '@/lib/auth-client';

type Mode = 'sign-in' | 'sign-up';

// better-auth error codes → our message keys (shown in the page's language).
function errorKey(error: { code?: string; status?: number }): string {
  if (error.status === 429) return 'tooManyAttempts';
  switch (error.code) {
    case 'INVALID_EMAIL_OR_PASSWORD':
      return 'invalidCredentials';
    case 'USER_ALREADY_EXISTS':
    case 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL':
      return 'userExists';
    case 'PASSWORD_TOO_SHORT':
      return 'weakPassword';
    case 'INVALID_EMAIL':
      return 'invalidEmail';
    default:
      return 'generic';
  }
}

export function AuthForm({ mode, next }: { mode: Mode; next?: string }) {
  const t = useTranslations('auth');
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(null);
    const result =
      mode === 'sign-up'
        ? await authClient.signUp.email({
            email,
            password,
            name: String(form.get('name') ?? '').trim() || email,
          })
        : await authClient.signIn.email({ email, password });
    setBusy(false);
    if (result.error) {
      setError(t(`errors.${errorKey(result.error)}`));
      return;
    }
    // Only same-site paths, never an open redirect.
    const target = next?.startsWith('/') && !next.startsWith('//') ? next : '/';
    router.push(target);
    router.refresh();
  }

  return (
    <form className="dy-card dy-auth" onSubmit={submit} noValidate>
      <h1>{mode === 'sign-up' ? t('signUpTitle') : t('signInTitle')}</h1>
      {mode === 'sign-up' && (
        <label>
          {t('name')}
          <input name="name" autoComplete="name" maxLength={80} />
        </label>
      )}
      <label>
        {t('email')}
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        {t('password')}
        <input
          name="password"
          type="password"
          autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
          required
          minLength={8}
        />
        {mode === 'sign-up' && <small>{t('passwordHint')}</small>}
      </label>
      {error && (
        <p className="dy-error" role="alert" data-testid="auth-error">
          {error}
        </p>
      )}
      <button type="submit" className="dy-button" disabled={busy}>
        {busy ? t('working') : mode === 'sign-up' ? t('submitSignUp') : t('submitSignIn')}
      </button>
      <p className="dy-muted">
        {mode === 'sign-up' ? t('haveAccount') : t('noAccount')}{' '}
        <Link href={mode === 'sign-up' ? '/sign-in' : '/sign-up'}>
          {mode === 'sign-up' ? t('submitSignIn') : t('submitSignUp')}
        </Link>
      </p>
    </form>
  );
}
