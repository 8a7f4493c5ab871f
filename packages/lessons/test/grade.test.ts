import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradeQuiz, type Lesson, loadLesson, UnknownQuizError } from '../src/index.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/course/pid-namespace');
let lesson: Lesson;
beforeAll(async () => {
  lesson = await loadLesson(dir);
});

describe('gradeQuiz', () => {
  it('grades choice answers by option key', () => {
    expect(gradeQuiz(lesson, 'q1', 'b')).toEqual({ status: 'correct' });
    expect(gradeQuiz(lesson, 'q1', ' B ')).toEqual({ status: 'correct' });
    expect(gradeQuiz(lesson, 'q1', 'a')).toEqual({ status: 'incorrect' });
    expect(gradeQuiz(lesson, 'q1', '')).toEqual({ status: 'incorrect' });
  });

  it('grades several right options as a set', () => {
    const multi: Lesson = structuredClone(lesson);
    const q1 = multi.markdown.en.outline.quizzes.find((q) => q.id === 'q1');
    if (!q1) throw new Error('fixture has no q1');
    q1.answer = 'a,c';
    expect(gradeQuiz(multi, 'q1', 'c, a')).toEqual({ status: 'correct' });
    expect(gradeQuiz(multi, 'q1', ['A', 'c'])).toEqual({ status: 'correct' });
    expect(gradeQuiz(multi, 'q1', 'a')).toEqual({ status: 'incorrect' });
    expect(gradeQuiz(multi, 'q1', 'a,b,c')).toEqual({ status: 'incorrect' });
  });

  it('leaves text quizzes without an answer to the instructor', () => {
    expect(gradeQuiz(lesson, 'q2', 'it reaps orphans')).toEqual({ status: 'pending' });
  });

  it('compares text answers when the author gave one', () => {
    const withAnswer: Lesson = structuredClone(lesson);
    const q2 = withAnswer.markdown.en.outline.quizzes.find((q) => q.id === 'q2');
    if (!q2) throw new Error('fixture has no q2');
    q2.answer = 'init';
    expect(gradeQuiz(withAnswer, 'q2', '  INIT ')).toEqual({ status: 'correct' });
    expect(gradeQuiz(withAnswer, 'q2', 'systemd')).toEqual({ status: 'incorrect' });
  });

  it('throws for a quiz the lesson does not have', () => {
    expect(() => gradeQuiz(lesson, 'q9', 'a')).toThrow(UnknownQuizError);
  });
});
