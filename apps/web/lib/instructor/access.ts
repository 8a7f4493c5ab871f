import { NextResponse } from 'next/server';
import { getSessionUser, type SessionUser } from '../auth';

export function canAuthor(user: SessionUser | null): user is SessionUser {
  return user?.role === 'instructor' || user?.role === 'admin';
}

/** The signed-in instructor or admin, or the 401/403 answer for an API route. */
export async function requireAuthorApi(): Promise<SessionUser | NextResponse> {
  const user = await getSessionUser();
  if (!user) return NextResponse.json({ error: 'unauthenticated' }, { status: 401 });
  if (!canAuthor(user)) return NextResponse.json({ error: 'forbidden' }, { status: 403 });
  return user;
}
