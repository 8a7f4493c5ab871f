// Server-side quiz grading against the answers kept in the loaded lesson.
import { answerKeys } from './markdown.js';
import type { Locale } from './schema.js';
import type { Lesson, Quiz } from './types.js';

export type QuizGrade =
  | { status: 'correct' }
  | { status: 'incorrect' }
  /** Text quizzes without an answer are graded by an instructor. */
  | { status: 'pending' };

export class UnknownQuizError extends Error {
  constructor(lessonId: string, quizId: string) {
    super(`lesson "${lessonId}" has no quiz "${quizId}"`);
    this.name = 'UnknownQuizError';
  }
}

export function findQuiz(lesson: Lesson, quizId: string, locale: Locale = 'en'): Quiz | undefined {
  return lesson.markdown[locale].outline.quizzes.find((q) => q.id === quizId);
}

const normalize = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

const keySet = (keys: string[]) => [...new Set(keys.map((k) => k.toLowerCase()))].sort().join(',');

/**
 * Grades one answer. Choice answers are option keys: "b", or for several right options "a,c" or ["a", "c"]
 * (all of them, in any order). Text answers compare trimmed and case-insensitive.
 */
export function gradeQuiz(lesson: Lesson, quizId: string, answer: string | string[]): QuizGrade {
  const quiz = findQuiz(lesson, quizId) ?? findQuiz(lesson, quizId, 'zh-CN');
  if (!quiz) throw new UnknownQuizError(lesson.id, quizId);
  if (quiz.answer === undefined) return { status: 'pending' };
  const correct =
    quiz.type === 'choice'
      ? keySet(Array.isArray(answer) ? answer.map((a) => a.trim()) : answerKeys(answer)) ===
        keySet(answerKeys(quiz.answer))
      : normalize(Array.isArray(answer) ? answer.join(' ') : answer) === normalize(quiz.answer);
  return correct ? { status: 'correct' } : { status: 'incorrect' };
}
