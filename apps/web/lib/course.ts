import fs from 'node:fs/promises';
import path from 'node:path';
import { type Lesson, loadCourse, orderLessons, type RenderedLesson, renderLesson } from '@dockyard/lessons';
import type { AppLocale } from '@/i18n/routing';
import { publishedRoot } from './instructor/drafts';

// The repository's lessons/ folder unless LESSONS_DIR says otherwise (cwd is apps/web).
const lessonsDir = path.resolve(
  /*turbopackIgnore: true*/ process.env.LESSONS_DIR ?? path.join(process.cwd(), '../../lessons'),
);
const reloadEveryRequest = process.env.NODE_ENV === 'development';

type Course = Awaited<ReturnType<typeof loadCourse>> & {
  /** Ids of the course folder's own lessons (instructor-published ones may not reuse them). */
  courseIds: Set<string>;
};
const cache = globalThis as unknown as {
  dockyardCourse?: Promise<Course>;
  dockyardRendered?: Map<string, Promise<RenderedLesson>>;
};

/** The course folder's lessons plus the lessons instructors published (README "Instructor lessons"). */
async function loadAll(): Promise<Course> {
  const course = await loadCourse(lessonsDir);
  const courseIds = new Set(course.lessons.map((lesson) => lesson.id));
  const hasPublished = await fs.stat(publishedRoot).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!hasPublished) return { ...course, courseIds };
  const published = await loadCourse(publishedRoot);
  const extra = published.lessons.filter((lesson) => !courseIds.has(lesson.id));
  return { lessons: orderLessons([...course.lessons, ...extra]), errors: course.errors, courseIds };
}

/** Drops the cached catalog, e.g. after a lesson was published. */
export function invalidateCourse(): void {
  cache.dockyardCourse = undefined;
}

export function getCourse(): Promise<Course> {
  if (reloadEveryRequest || !cache.dockyardCourse) {
    cache.dockyardCourse = loadAll().catch((error: unknown) => {
      cache.dockyardCourse = undefined;
      throw error;
    });
  }
  return cache.dockyardCourse;
}

export async function getLesson(id: string): Promise<Lesson | undefined> {
  return (await getCourse()).lessons.find((lesson) => lesson.id === id);
}

export function getRenderedLesson(lesson: Lesson, locale: AppLocale): Promise<RenderedLesson> {
  cache.dockyardRendered ??= new Map();
  const key = `${lesson.id}:${locale}:${lesson.hash}`;
  let rendered = cache.dockyardRendered.get(key);
  if (!rendered) {
    rendered = renderLesson(lesson, locale);
    cache.dockyardRendered.set(key, rendered);
  }
  return rendered;
}
