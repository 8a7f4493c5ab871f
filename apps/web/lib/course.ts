import path from 'node:path';
import { type Lesson, loadCourse, type RenderedLesson, renderLesson } from '@dockyard/lessons';
import type { AppLocale } from '@/i18n/routing';

// The repository's lessons/ folder unless LESSONS_DIR says otherwise (cwd is apps/web).
const lessonsDir = path.resolve(
  /*turbopackIgnore: true*/ process.env.LESSONS_DIR ?? path.join(process.cwd(), '../../lessons'),
);
const reloadEveryRequest = process.env.NODE_ENV === 'development';

type Course = Awaited<ReturnType<typeof loadCourse>>;
const cache = globalThis as unknown as {
  dockyardCourse?: Promise<Course>;
  dockyardRendered?: Map<string, Promise<RenderedLesson>>;
};

export function getCourse(): Promise<Course> {
  if (reloadEveryRequest || !cache.dockyardCourse) {
    cache.dockyardCourse = loadCourse(lessonsDir).catch((error: unknown) => {
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
