import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDatabase } from './db-helper';

let dir: string;
let auth: typeof import('../lib/auth');
let db: import('@dockyard/db').Db;
let firstAdmin: typeof import('../lib/first-admin');

beforeAll(async () => {
  dir = await useTempDatabase('admin');
  auth = await import('../lib/auth');
  firstAdmin = await import('../lib/first-admin');
  db = (await import('@dockyard/db')).getDb();
});

afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('first admin', () => {
  it('only one of several simultaneous first sign-ups becomes admin', async () => {
    const api = auth.getAuth().api;
    const emails = Array.from({ length: 6 }, (_, i) => `race-${i}@example.test`);
    await Promise.all(
      emails.map((email) =>
        api.signUpEmail({ body: { name: email, email, password: 'correct-horse-race' } }),
      ),
    );
    const users = await db.user.findMany({
      where: { email: { in: emails } },
      select: { role: true, id: true },
    });
    expect(users).toHaveLength(6);
    const admins = users.filter((u) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    const marker = await db.installMarker.findUnique({ where: { key: 'first-admin' } });
    expect(marker?.userId).toBe(admins[0]?.id);
  });

  it('later sign-ups are students and cannot claim admin again', async () => {
    const api = auth.getAuth().api;
    await api.signUpEmail({
      body: { name: 'Late', email: 'late@example.test', password: 'correct-horse-late' },
    });
    const late = await db.user.findUniqueOrThrow({ where: { email: 'late@example.test' } });
    expect(late.role).toBe('student');
    expect(await firstAdmin.claimFirstAdmin(db, late.id)).toBe(false);
    expect(await db.user.count({ where: { role: 'admin' } })).toBe(1);
  });

  it('of several claims made at the same moment on a fresh install exactly one wins', async () => {
    await db.installMarker.deleteMany();
    await db.user.updateMany({ data: { role: 'student' } });
    const users = await db.user.findMany({ select: { id: true } });
    const wins = await Promise.all(users.map((u) => firstAdmin.claimFirstAdmin(db, u.id)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await db.user.count({ where: { role: 'admin' } })).toBe(1);
  });

  it('an install whose admin predates the marker keeps a single admin', async () => {
    await db.installMarker.deleteMany();
    // Whoever won the claims above is the admin; any other account tries now.
    const student = await db.user.findFirstOrThrow({ where: { role: 'student' } });
    expect(await firstAdmin.claimFirstAdmin(db, student.id)).toBe(false);
    expect(await db.installMarker.count()).toBe(0);
    expect(await db.user.count({ where: { role: 'admin' } })).toBe(1);
  });
});
