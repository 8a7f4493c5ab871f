import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Lesson,
  LessonError,
  lessonYamlSchema,
  lintLessons,
  loadCourse,
  loadLesson,
  orderLessons,
  readLesson,
} from '../src/index.js';
import { BASE_EN, BASE_YAML, edit, TempRoot } from './helpers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('loadCourse', () => {
  it('loads the valid course without errors, ordered by requires, then topic and level', async () => {
    const { lessons, errors } = await loadCourse(path.join(fixtures, 'course'));
    expect(errors).toEqual([]);
    expect(lessons.map((l) => l.id)).toEqual(['what-is-a-container', 'pid-namespace', 'cgroup-memory']);
    expect(await lintLessons(path.join(fixtures, 'course'))).toEqual([]);
  });

  it('keeps lessons that have lint errors, and reports them', async () => {
    const { lessons, errors } = await loadCourse(path.join(fixtures, 'xss'));
    expect(lessons.map((l) => l.id)).toEqual(['xss-lesson']);
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('loadLesson', () => {
  it('returns the validated model with defaults filled in', async () => {
    const lesson = await loadLesson(path.join(fixtures, 'course/what-is-a-container'));
    expect(lesson.id).toBe('what-is-a-container');
    expect(lesson.lab).toEqual({ image: 'lab-debian', terminals: 1 });
    expect(lesson.requires).toEqual([]);
    expect(lesson.steps[0]?.checks.map((c) => c.kind)).toEqual(['command', 'file']);
    expect(lesson.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(lesson.markdown.en.file).toBe('what-is-a-container/en.md');
    expect(lesson.markdown.en.outline.codeBlocks).toEqual([
      { lang: 'bash', run: true, copy: false, line: 7, stepId: 'look-around' },
    ]);
    expect((await loadLesson(path.join(fixtures, 'course/what-is-a-container'))).hash).toBe(lesson.hash);
  });

  it('parses every check kind of the contract', async () => {
    const pid = await loadLesson(path.join(fixtures, 'course/pid-namespace'));
    const cg = await loadLesson(path.join(fixtures, 'course/cgroup-memory'));
    const wic = await loadLesson(path.join(fixtures, 'course/what-is-a-container'));
    const kinds = new Set([pid, cg, wic].flatMap((l) => l.steps.flatMap((s) => s.checks.map((c) => c.kind))));
    expect([...kinds].sort()).toEqual([
      'cgroup',
      'command',
      'container',
      'file',
      'http',
      'image',
      'iptables',
      'mount',
      'namespace',
      'netns',
      'process',
      'quiz',
      'script',
    ]);
    expect(pid.lab).toEqual({ image: 'lab-debian', setup: 'files/setup.sh', terminals: 2 });
  });

  describe('with a broken lesson', () => {
    const root = new TempRoot();
    beforeEach(() => root.create());
    afterEach(() => root.cleanup());

    it('throws LessonError listing every issue', async () => {
      const dir = await root.lesson({
        yaml: edit(BASE_YAML, 'level: 1', 'level: 9'),
        files: { 'solutions/first.sh': null },
      });
      const err = await loadLesson(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LessonError);
      expect((err as LessonError).issues.map((i) => i.rule)).toEqual(['invalid-value']);
      expect((err as LessonError).message).toContain('base-lesson/lesson.yaml:5:8: invalid-value');
    });

    it('reads lab limits and refuses unknown or contradictory ones', async () => {
      const withLimits = (limits: string) =>
        root.lesson({
          yaml: edit(BASE_YAML, '  image: lab-debian', `  image: lab-debian\n  limits: ${limits}`),
        });
      const good = await loadLesson(await withLimits('{ memoryMiB: 256, pids: 200, idleMinutes: 5 }'));
      expect(good.lab.limits).toEqual({ memoryMiB: 256, pids: 200, idleMinutes: 5 });
      for (const bad of ['{ memory: 256 }', '{ cpus: 0 }', '{ idleMinutes: 90, lifetimeMinutes: 60 }']) {
        const err = await loadLesson(await withLimits(bad)).catch((e: unknown) => e);
        expect(err, bad).toBeInstanceOf(LessonError);
      }
    });

    it('loads a lesson with lint issues unless strict', async () => {
      const dir = await root.lesson({ files: { 'solutions/first.sh': null } });
      expect((await loadLesson(dir)).id).toBe('base-lesson');
      const err = await loadLesson(dir, { strict: true }).catch((e: unknown) => e);
      expect((err as LessonError).issues.map((i) => i.rule)).toEqual(['missing-solution']);
    });

    it('changes the hash when a solution script changes', async () => {
      const dir = await root.lesson({});
      const before = (await loadLesson(dir)).hash;
      await writeFile(path.join(dir, 'solutions/first.sh'), 'sleep 2000 &\n');
      expect((await loadLesson(dir)).hash).not.toBe(before);
    });

    it('sees edits to a Markdown file it loaded before', async () => {
      const dir = await root.lesson({});
      expect((await readLesson(dir)).issues).toEqual([]);
      await writeFile(path.join(dir, 'en.md'), `${BASE_EN}\n<script>x</script>\n`);
      expect((await readLesson(dir)).issues.map((i) => i.rule)).toEqual(['unsafe-html']);
    });
  });
});

describe('lesson.yaml schema', () => {
  const base = {
    id: 'x',
    title: { 'zh-CN': '甲', en: 'A' },
    summary: { 'zh-CN': '甲', en: 'A' },
    topic: 'cgroups',
    level: 0,
    minutes: 5,
    steps: [] as unknown[],
  };
  const withCheck = (check: Record<string, unknown>) => ({
    ...base,
    steps: [{ id: 's', checks: [{ hint: { 'zh-CN': '提示', en: 'hint' }, ...check }] }],
  });

  it('accepts a minimal check of each shape and rejects contradictions', () => {
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'cgroup', path: '/demo', expect: { memory: '64MiB' } }))
        .success,
    ).toBe(true);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'cgroup', path: '/demo', match: 'sleep', expect: {} }))
        .success,
    ).toBe(false);
    expect(lessonYamlSchema.safeParse(withCheck({ kind: 'cgroup', expect: {} })).success).toBe(false);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'cgroup', path: '/d', expect: { memory: '64MB' } }))
        .success,
    ).toBe(false);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'http', port: 80, published: 'web:80', expect: {} }))
        .success,
    ).toBe(false);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'http', port: 80, expect: { status: 200 } })).success,
    ).toBe(true);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'process', match: 'x', in: 'container:web' })).success,
    ).toBe(true);
    expect(
      lessonYamlSchema.safeParse(withCheck({ kind: 'process', match: 'x', in: 'elsewhere' })).success,
    ).toBe(false);
    expect(
      lessonYamlSchema.safeParse(
        withCheck({ kind: 'iptables', table: 'nat', chain: 'X', in: 'netns:red', expect: {} }),
      ).success,
    ).toBe(true);
    expect(lessonYamlSchema.safeParse(withCheck({ kind: 'script', file: '/etc/shadow' })).success).toBe(
      false,
    );
    expect(lessonYamlSchema.safeParse({ ...base, steps: [] }).success).toBe(false);
  });

  it('requires a bilingual hint on every check but quiz', () => {
    const noHint = { ...base, steps: [{ id: 's', checks: [{ kind: 'quiz', question: 'q1' }] }] };
    expect(lessonYamlSchema.safeParse(noHint).success).toBe(true);
    const processNoHint = { ...base, steps: [{ id: 's', checks: [{ kind: 'process', match: 'x' }] }] };
    expect(lessonYamlSchema.safeParse(processNoHint).success).toBe(false);
  });
});

describe('orderLessons', () => {
  const lesson = (id: string, topic: Lesson['topic'], level: number, requires: string[] = []) =>
    ({ id, topic, level, requires }) as Lesson;

  it('puts requirements first even against topic order', () => {
    const order = orderLessons([
      lesson('intro-b', 'intro', 0, ['net-a']),
      lesson('net-a', 'networking', 2),
      lesson('intro-a', 'intro', 0),
    ]);
    expect(order.map((l) => l.id)).toEqual(['intro-a', 'net-a', 'intro-b']);
  });

  it('orders free lessons by topic, then level, then id', () => {
    const order = orderLessons([
      lesson('c', 'cgroups', 1),
      lesson('b', 'namespaces', 2),
      lesson('a', 'namespaces', 1),
      lesson('z', 'intro', 3),
    ]);
    expect(order.map((l) => l.id)).toEqual(['z', 'a', 'b', 'c']);
  });

  it('keeps lessons caught in a cycle, after the others', () => {
    const order = orderLessons([
      lesson('x', 'intro', 0, ['y']),
      lesson('y', 'intro', 0, ['x']),
      lesson('w', 'homework', 3),
    ]);
    expect(order.map((l) => l.id)).toEqual(['w', 'x', 'y']);
  });
});
