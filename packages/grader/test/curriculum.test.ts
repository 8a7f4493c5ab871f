import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Lesson, loadCourse } from '../../lessons/src/index.js';
import { evaluateCheck, type HostCheck } from '../src/evaluate.js';
import { type LessonBox, LessonBoxes } from './lab-boxes.js';

/**
 * The course works: for every lesson, in a fresh lab box with its setup done, each hands-on step's checks fail
 * before its reference solution (solutions/<step>.sh) runs and all pass after.
 */
const course = await loadCourse(join(import.meta.dirname, '../../../lessons'));
// Two boxes at once keeps a 2-core machine busy without starving either box's nested engine.
const boxes = new LessonBoxes(2);

afterAll(async () => {
  await boxes.close();
}, 120_000);

/** Where the test puts a lesson's files/ and solutions/ in the box; setup scripts find their files beside them. */
const LESSON_DIR = '/opt/lesson';

async function grade(box: LessonBox, checks: HostCheck[]) {
  const results = [];
  for (const check of checks) {
    try {
      const result = await evaluateCheck(check, { target: box.target, address: box.box.address });
      results.push({ kind: check.kind, pass: result.pass, message: result.message.en });
    } catch (error) {
      results.push({ kind: check.kind, pass: false, message: `the grader threw: ${(error as Error).stack}` });
    }
  }
  return results;
}

const describeResults = (results: Array<{ kind: string; pass: boolean; message: string }>) =>
  results.map((r) => `    [${r.pass ? 'pass' : 'FAIL'}] ${r.kind}: ${r.message}`).join('\n');

async function runLesson(lesson: Lesson, box: LessonBox): Promise<string[]> {
  const problems: string[] = [];
  await box.copyIn(lesson.dir, ['files', 'solutions'], LESSON_DIR);
  if (lesson.lab.setup) {
    const setup = await box.bash(`bash ${LESSON_DIR}/${lesson.lab.setup}`);
    if (setup.status !== 0) return [`setup exited ${setup.status}:\n${setup.output}`];
  }
  for (const step of lesson.steps) {
    const checks = step.checks.filter((c) => c.kind !== 'quiz') as HostCheck[];
    if (checks.length === 0) continue;
    const before = await grade(box, checks);
    if (before.every((r) => r.pass)) {
      problems.push(
        `${lesson.id}/${step.id}: every check passes before the solution:\n${describeResults(before)}`,
      );
    }
    const solution = await box.bash(`bash ${LESSON_DIR}/solutions/${step.id}.sh`);
    const after = await grade(box, checks);
    if (solution.status !== 0 || !after.every((r) => r.pass)) {
      problems.push(
        `${lesson.id}/${step.id}: after the solution (exit ${solution.status}):\n${describeResults(after)}\n` +
          `  solution output:\n${solution.output.trimEnd().replace(/^/gm, '    ')}`,
      );
    }
  }
  return problems;
}

describe.concurrent('every lesson: checks fail before each reference solution and pass after it', () => {
  it('loads the whole course', () => {
    expect(course.errors).toEqual([]);
    expect(course.lessons.length).toBeGreaterThanOrEqual(24);
  });

  for (const lesson of course.lessons) {
    it(lesson.id, async () => {
      const problems = await boxes.with(lesson.lab.image, (box) => runLesson(lesson, box));
      if (problems.length > 0) console.error(problems.join('\n\n'));
      expect(problems).toEqual([]);
    }, 900_000);
  }
});
