import { useTranslations } from 'next-intl';
import { Link } from '@/i18n/navigation';

export default function NotFound() {
  const t = useTranslations('errors');
  return (
    <div className="dy-catalog">
      <h1>{t('notFoundTitle')}</h1>
      <Link href="/">{t('backHome')}</Link>
    </div>
  );
}
