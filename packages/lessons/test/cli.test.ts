import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runLessonsLint } from '../src/index.js';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('runLessonsLint', () => {
  it('prints file:line:col: rule: message and exits 1 on errors', async () => {
    const run = await runLessonsLint('test/fixtures/xss', pkg);
    expect(run.exitCode).toBe(1);
    expect(run.lines).toContain(
      'test/fixtures/xss/xss-lesson/en.md:3:1: unsafe-html: <script> is not allowed in lessons and is removed when sanitized',
    );
    expect(run.lines.at(-1)).toBe(`${run.issues.length} error(s) in 2 file(s)`);
  });

  it('exits 0 on a clean folder, and lints a single lesson folder too', async () => {
    const course = await runLessonsLint('test/fixtures/course', pkg);
    expect(course).toMatchObject({ exitCode: 0, issues: [], lines: ['no errors in test/fixtures/course'] });
    const single = await runLessonsLint('test/fixtures/course/pid-namespace', pkg);
    expect(single.exitCode).toBe(0);
  });
});

describe('lessons-lint command', () => {
  // spawning tsx can be slow on a busy machine; this is a limit, not a measurement
  it('runs as a program with the exit status of the lint', { timeout: 60_000 }, async () => {
    const tsx = path.resolve(pkg, '../../node_modules/.bin/tsx');
    const env = { ...process.env, INIT_CWD: pkg };
    const bad = await promisify(execFile)(tsx, ['src/cli.ts', 'test/fixtures/xss'], { cwd: pkg, env }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect('code' in bad ? bad.code : 0).toBe(1);
    expect(bad.stdout).toMatch(/^test\/fixtures\/xss\/xss-lesson\/en\.md:3:1: unsafe-html: /m);
    const good = await promisify(execFile)(tsx, ['src/cli.ts', 'test/fixtures/course'], { cwd: pkg, env });
    expect(good.stdout.trim()).toBe('no errors in test/fixtures/course');
    const json = await promisify(execFile)(tsx, ['src/cli.ts', '--json', 'test/fixtures/xss'], {
      cwd: pkg,
      env,
    }).catch((e: { stdout: string }) => e);
    const issues = JSON.parse(json.stdout) as { file: string; line: number; rule: string }[];
    expect(issues).toContainEqual(
      expect.objectContaining({ file: 'xss-lesson/en.md', line: 3, rule: 'unsafe-html' }),
    );
  });

  it('lints the repository lessons folder when given no directory', { timeout: 60_000 }, async () => {
    const tsx = path.resolve(pkg, '../../node_modules/.bin/tsx');
    const repo = path.resolve(pkg, '../..');
    const run = await promisify(execFile)(tsx, [path.join(pkg, 'src/cli.ts')], {
      cwd: repo,
      env: { ...process.env, INIT_CWD: repo },
    }).catch((e: { stdout: string }) => e);
    // whatever the course's state, every line names a file under lessons/ or is the summary
    const lines = run.stdout.trim().split('\n');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^lessons\/[^:]+:\d+(:\d+)?: [a-z-]+: /);
    expect(lines.at(-1)).toMatch(/^(no errors in lessons|\d+ error\(s\) in \d+ file\(s\))$/);
  });
});
