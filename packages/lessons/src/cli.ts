// lessons-lint [dir]: lints a folder of lessons (or one lesson folder) and prints file:line:col: rule: message.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLessonsLint } from './lint-run.js';

const DEFAULT_LESSONS_DIR = path.resolve(fileURLToPath(import.meta.url), '../../../../lessons');

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log('usage: lessons-lint [--json] [dir]   (default: the repository lessons/ folder)');
    return 0;
  }
  const json = argv.includes('--json');
  const dir = argv.find((a) => !a.startsWith('--'));
  // npm run -w changes the working directory; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const run = await runLessonsLint(dir ?? DEFAULT_LESSONS_DIR, cwd);
  if (json) console.log(JSON.stringify(run.issues, null, 2));
  else for (const line of run.lines) console.log(line);
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
