import { loadCourse } from './load.js';
import type { LintIssue } from './types.js';

/** Every lint issue of every lesson folder under rootDir, sorted by file and line. */
export async function lintLessons(rootDir: string): Promise<LintIssue[]> {
  const { errors } = await loadCourse(rootDir);
  return errors.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || (a.column ?? 0) - (b.column ?? 0),
  );
}
