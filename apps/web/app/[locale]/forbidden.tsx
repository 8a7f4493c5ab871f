import { useTranslations } from 'next-intl';
import { Link } from '@/i18n/navigation';

export default function Forbidden() {
  const t = useTranslations('errors');
  return (
    <div className="dy-catalog" data-testid="forbidden">
      <h1>{t('forbiddenTitle')}</h1>
      <p>{t('forbiddenBody')}</p>
      <Link href="/">{t('backHome')}</Link>
    </div>
  );
}
