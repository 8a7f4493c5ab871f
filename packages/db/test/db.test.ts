import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/index.js';
import { migrateCli } from './migrate-cli.js';
import { type PostgresServer, startPostgres } from './postgres-server.js';

async function crudRoundTrip(db: Db): Promise<void> {
  const suffix = Math.random().toString(36).slice(2);
  const user = await db.user.create({
    data: { id: `u-${suffix}`, name: 'Ada', email: `ada-${suffix}@example.test`, role: 'instructor' },
  });
  expect(user.role).toBe('instructor');
  await db.lesson.create({
    data: {
      id: `pid-ns-${suffix}`,
      topic: 'namespaces',
      titleZh: 'PID 命名空间',
      titleEn: 'PID namespaces',
      contentHash: 'h1',
    },
  });
  const progress = await db.stepProgress.upsert({
    where: { userId_lessonId_stepId: { userId: user.id, lessonId: `pid-ns-${suffix}`, stepId: 's1' } },
    create: {
      userId: user.id,
      lessonId: `pid-ns-${suffix}`,
      stepId: 's1',
      passed: true,
      attempts: 1,
      passedAt: new Date(),
    },
    update: {},
  });
  expect(progress.passed).toBe(true);
  const course = await db.course.create({
    data: { slug: `c-${suffix}`, title: 'Containers', joinCode: `J${suffix}`, ownerId: user.id },
  });
  const assignment = await db.assignment.create({
    data: { courseId: course.id, title: 'Dockerfile', maxAttempts: 3 },
  });
  const submission = await db.submission.create({
    data: {
      assignmentId: assignment.id,
      userId: user.id,
      attempt: 1,
      files: { create: [{ path: 'Dockerfile', size: 9, sha256: 'x', content: Buffer.from('FROM busy') }] },
    },
    include: { files: true },
  });
  expect(Buffer.from(submission.files[0]?.content ?? []).toString()).toBe('FROM busy');
  await db.grade.create({ data: { submissionId: submission.id, score: 8, maxScore: 10, source: 'auto' } });

  const loaded = await db.user.findUniqueOrThrow({
    where: { email: `ada-${suffix}@example.test` },
    include: { stepProgress: true, submissions: { include: { grades: true } } },
  });
  expect(loaded.stepProgress.map((p) => p.stepId)).toEqual(['s1']);
  expect(loaded.submissions[0]?.grades[0]?.score).toBe(8);

  await db.user.delete({ where: { id: user.id } });
  expect(await db.stepProgress.count({ where: { userId: user.id } })).toBe(0);
  expect(await db.submission.count({ where: { userId: user.id } })).toBe(0);
}

describe('SQLite', () => {
  let dir: string;
  let db: Db | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-db-sqlite-'));
  });
  afterAll(async () => {
    await db?.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration once, then has none pending', async () => {
    const url = `file:${path.join(dir, 'test.db')}`;
    expect(await migrateCli(url, 'deploy')).toMatch(/^applied: \d+_init/);
    expect(await migrateCli(url, 'deploy')).toBe('no pending migrations');
  });

  it('has migrations that match the schema exactly', async () => {
    expect(await migrateCli(`file:${path.join(dir, 'diff.db')}`, 'diff')).toBe('');
  });

  it('creates, reads, relates and cascades rows', async () => {
    db = createDb(`file:${path.join(dir, 'test.db')}`);
    await crudRoundTrip(db);
  });
});

describe('PostgreSQL', () => {
  let server: PostgresServer | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await db?.$disconnect();
    await server?.stop();
  }, 30_000);

  it('applies every migration once, then has none pending', async () => {
    const url = server?.url ?? '';
    expect(await migrateCli(url, 'deploy')).toMatch(/^applied: \d+_init/);
    expect(await migrateCli(url, 'deploy')).toBe('no pending migrations');
  });

  it('has migrations that match the schema exactly', async () => {
    expect(await migrateCli(server?.url ?? '', 'diff')).toBe('');
  });

  it('creates, reads, relates and cascades rows', async () => {
    db = createDb(server?.url ?? '');
    await crudRoundTrip(db);
  });
});
