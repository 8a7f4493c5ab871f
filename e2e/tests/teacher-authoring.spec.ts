// Instructor basics: upload a lesson folder, see lint errors with file:line, upload the fix, preview it in
// both languages, publish it, and a student finds it in the catalog. Students are refused instructor pages
// (403), and checks are rate-limited per user. Runs after student-journey.spec.ts, whose admin account is
// the instructor here.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
const adminSession = path.resolve(here, '../test-results/artifacts/admin-session.json');
const fixture = path.resolve(here, '../fixtures/lessons/e2e-first-steps');
const baseURL = `http://localhost:${process.env.DY_E2E_PORT}`;
const lessonId = `e2e-authored-${process.env.DY_E2E_SUFFIX ?? 'x'}`;
const student = { name: 'Mei', email: `mei-${Date.now()}@example.test`, password: 'correct-horse-mei' };

test.describe.configure({ mode: 'serial' });

let work: string;
let teacher: BrowserContext;
let page: Page;

/** A .tar.gz of the fixture lesson as folder `lessonId`, with `edit` applied to its lesson.yaml. */
function lessonArchive(name: string, edit: (yaml: string) => string): string {
  const dir = path.join(work, name, lessonId);
  fs.cpSync(fixture, dir, { recursive: true });
  const yamlPath = path.join(dir, 'lesson.yaml');
  fs.writeFileSync(yamlPath, edit(fs.readFileSync(yamlPath, 'utf8').replace(/^id: .*$/m, `id: ${lessonId}`)));
  const archive = path.join(work, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', path.join(work, name), lessonId]);
  return archive;
}

const retitle = (yaml: string) =>
  yaml.replace(/^title: .*$/m, 'title: { zh-CN: 教师上传的课, en: A lesson from an instructor }');

test.beforeAll(async ({ browser }) => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-e2e-authoring-'));
  expect(fs.existsSync(adminSession), 'student-journey.spec.ts made the admin account').toBe(true);
  teacher = await browser.newContext({ baseURL, storageState: adminSession });
  page = await teacher.newPage();
});

test.afterAll(async () => {
  await teacher.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('an upload with mistakes shows each lint error with its file and line', async () => {
  const broken = lessonArchive('broken', (yaml) =>
    retitle(yaml).replace('minutes: 5', 'minutes: 5\ncolour: blue'),
  );
  await page.goto('/zh-CN/instructor');
  await expect(page.locator('h1')).toHaveText('课程编写');
  await page.locator('input[name=file]').setInputFiles(broken);
  await page.getByTestId('upload-submit').click();
  await expect(page).toHaveURL(new RegExp(`/zh-CN/instructor/lessons/${lessonId}$`));
  await expect(page.getByTestId('lint-count')).toHaveText('1 个问题——修正后请重新上传。');
  await expect(page.getByTestId('lint-issue')).toHaveText(
    `${lessonId}/lesson.yaml:9:1: unknown-key: unknown key "colour" in (top level)`,
  );
  await expect(page.getByTestId('publish')).toBeDisabled();
});

test('an unsafe archive is refused with a clear message', async () => {
  const evil = path.join(work, 'evil.tar.gz');
  fs.mkdirSync(path.join(work, 'evil'));
  fs.symlinkSync('/etc/passwd', path.join(work, 'evil', 'lesson.yaml'));
  execFileSync('tar', ['-czf', evil, '-C', path.join(work, 'evil'), 'lesson.yaml']);
  await page.locator('input[name=file]').setInputFiles(evil);
  await page.getByTestId('upload-submit').click();
  await expect(page.getByTestId('source-error')).toHaveText('课程文件夹中不允许有链接。 (lesson.yaml)');
});

test('the fixed upload previews in zh-CN and en side by side, without quiz answers', async () => {
  await page.locator('input[name=file]').setInputFiles(lessonArchive('fixed', retitle));
  await page.getByTestId('upload-submit').click();
  await expect(page.getByTestId('lint-clean')).toHaveText('没有发现问题。');
  await expect(page.getByTestId('preview-zh-CN').getByTestId('preview-title')).toHaveText('教师上传的课');
  await expect(page.getByTestId('preview-en').getByTestId('preview-title')).toHaveText(
    'A lesson from an instructor',
  );
  await expect(page.getByTestId('preview-zh-CN').locator('[data-quiz-id="q-kernel"]')).toHaveCount(1);
  const html = await page.content();
  expect(html).not.toContain('answer=');
  expect(html).not.toMatch(/data-answer|data-correct/);

  await page.goto(`/en/instructor/lessons/${lessonId}`);
  await expect(page.getByTestId('lint-clean')).toHaveText('No problems found.');
  await expect(page.getByTestId('preview-en').getByTestId('preview-title')).toHaveText(
    'A lesson from an instructor',
  );
  await expect(page.getByTestId('preview-zh-CN').getByTestId('preview-title')).toHaveText('教师上传的课');
  await page.screenshot({
    path: path.resolve(here, '../test-results/instructor-preview.png'),
    fullPage: false,
  });
});

test('a draft is not in the catalog until it is published', async () => {
  await page.goto('/en');
  await expect(page.locator(`[data-lesson-id="${lessonId}"]`)).toHaveCount(0);
  await page.goto(`/en/instructor/lessons/${lessonId}`);
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('publish-status')).toHaveText('Published — it is now in the catalog.');
});

test.describe('a student', () => {
  let context: BrowserContext;
  let studentPage: Page;

  test.beforeAll(async ({ browser }) => {
    context = await browser.newContext({ baseURL });
    studentPage = await context.newPage();
  });

  test.afterAll(async () => {
    await context.close();
  });

  test('sees the published lesson in the catalog', async () => {
    await studentPage.goto('/en/sign-up');
    await studentPage.locator('input[name=name]').fill(student.name);
    await studentPage.locator('input[name=email]').fill(student.email);
    await studentPage.locator('input[name=password]').fill(student.password);
    await studentPage.locator('form button[type=submit]').click();
    await expect(studentPage).toHaveURL(/\/en$/);
    await expect(studentPage.getByTestId('user-role')).toHaveText('Student');
    await expect(studentPage.locator(`[data-lesson-id="${lessonId}"]`)).toContainText(
      'A lesson from an instructor',
    );
    await expect(studentPage.getByTestId('nav-instructor')).toHaveCount(0);
  });

  test('gets 403 on instructor pages and actions', async () => {
    for (const url of ['/zh-CN/instructor', `/en/instructor/lessons/${lessonId}`]) {
      const response = await studentPage.goto(url);
      expect(response?.status(), url).toBe(403);
    }
    await expect(studentPage.getByTestId('forbidden').locator('h1')).toHaveText('You do not have access');
    await studentPage.goto('/zh-CN/instructor');
    await expect(studentPage.getByTestId('forbidden').locator('h1')).toHaveText('无权访问');
    const publish = await studentPage.request.post(`/api/instructor/lessons/${lessonId}/publish`);
    expect(publish.status()).toBe(403);
    const folder = await studentPage.request.post('/api/instructor/lessons/folder', {
      data: { path: lessonId },
    });
    expect(folder.status()).toBe(403);
    const upload = await studentPage.request.post('/api/instructor/lessons/upload', {
      multipart: { file: { name: 'x.tar.gz', mimeType: 'application/gzip', buffer: Buffer.from('x') } },
    });
    expect(upload.status()).toBe(403);
  });

  test('checking too often is refused with a message in both languages', async () => {
    const body = { lessonId: 'e2e-first-steps', stepId: 'kernel-quiz', quizId: 'q-kernel', answer: 'a' };
    /** Checks until the server refuses one; returns how many were answered before that and the refusal. */
    async function checkUntilRefused() {
      let answered = 0;
      for (let i = 0; i < 30; i++) {
        const response = await studentPage.request.post('/api/checks/quiz', { data: body });
        if (response.status() === 429) {
          expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
          return {
            answered,
            refusal: (await response.json()) as { error?: string; message?: Record<string, string> },
          };
        }
        expect(response.status()).toBe(200);
        answered += 1;
      }
      throw new Error('never rate-limited');
    }
    const first = await checkUntilRefused();
    // The burst is 10 (a token may come back while the requests run on a slow machine).
    expect(first.answered).toBeGreaterThanOrEqual(10);
    expect(first.refusal.error).toBe('rate-limited');
    expect(first.refusal.message?.['zh-CN']).toMatch(/^检查太频繁了，请 \d+ 秒后再试。$/);
    expect(first.refusal.message?.en).toMatch(/^Too many checks in a short time\. Try again in \d+ s\.$/);

    // The lesson page shows it in the page language.
    await studentPage.goto('/zh-CN/lessons/e2e-first-steps');
    const quiz = studentPage.getByTestId('quiz-q-kernel');
    await quiz.locator('input[data-option="b"]').check();
    expect((await checkUntilRefused()).answered).toBeLessThan(10);
    await quiz.locator('button[type=submit]').click();
    await expect(quiz.getByTestId('check-feedback')).toContainText('检查太频繁了');
  });
});
