import type { Db } from '@dockyard/db';

const FIRST_ADMIN = 'first-admin';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

/**
 * Makes `userId` the install's admin if no one has been made admin yet. The marker row's primary key lets
 * exactly one of several simultaneous first sign-ups win; marker and role change commit together.
 */
export async function claimFirstAdmin(db: Db, userId: string): Promise<boolean> {
  // An install whose admin predates the marker keeps it as the only first admin.
  if ((await db.user.count({ where: { role: 'admin', id: { not: userId } } })) > 0) return false;
  try {
    await db.$transaction([
      db.installMarker.create({ data: { key: FIRST_ADMIN, userId } }),
      db.user.update({ where: { id: userId }, data: { role: 'admin' } }),
    ]);
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
