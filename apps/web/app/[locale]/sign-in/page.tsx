import { setRequestLocale } from 'next-intl/server';
import { AuthForm } from '@/components/AuthForm';

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ locale: string }>;
  searchParams: Promise<{ next?: string }>;
}) {
  const { locale } = await params;
  setRequestLocale(locale);
  const { next } = await searchParams;
  return <AuthForm mode="sign-in" next={typeof next === 'string' ? next : undefined} />;
}
