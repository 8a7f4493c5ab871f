// lessons-lint [dir]: lints a folder of lessons (or one lesson folder) and prints file:line:col: rule: message.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintLessons } from './lint.js';
import { formatIssue, isLessonDir, readLesson } from './load.js';
import type { LintIssue } from './types.js';

export const DEFAULT_LESSONS_DIR = path.resolve(fileURLToPath(import.meta.url), '../../../../lessons');

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

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log('usage: lessons-lint [dir]   (default: the repository lessons/ folder)');
    return 0;
  }
  // npm run -w changes the working directory; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const run = await runLessonsLint(argv[0] ?? DEFAULT_LESSONS_DIR, cwd);
  for (const line of run.lines) console.log(line);
  return run.exitCode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`lessons-lint: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
