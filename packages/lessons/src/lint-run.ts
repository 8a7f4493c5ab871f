// Lint run as a function: for the CLI and for instructor uploads.
import path from 'node:path';
import { lintLessons } from './lint.js';
import { formatIssue, isLessonDir, readLesson } from './load.js';
import type { LintIssue } from './types.js';

export interface LintRun {
  issues: LintIssue[];
  /** Lines as printed: one per issue, then a summary. */
  lines: string[];
  exitCode: 0 | 1;
}

/** Lints `dir`: a folder of lesson folders, or a single lesson folder (e.g. an instructor upload). */
export async function runLessonsLint(dir: string, cwd = process.cwd()): Promise<LintRun> {
  const abs = path.resolve(cwd, dir);
  const single = await isLessonDir(abs);
  const base = single ? path.dirname(abs) : abs;
  const issues = single ? (await readLesson(abs)).issues : await lintLessons(abs);
  const shown = (i: LintIssue) => ({ ...i, file: path.relative(cwd, path.join(base, i.file)) || i.file });
  const lines = issues.map((i) => formatIssue(shown(i)));
  const files = new Set(issues.map((i) => i.file)).size;
  lines.push(
    issues.length
      ? `${issues.length} error(s) in ${files} file(s)`
      : `no errors in ${path.relative(cwd, abs) || '.'}`,
  );
  return { issues, lines, exitCode: issues.length ? 1 : 0 };
}
