import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
const lessonPath = '/lessons/e2e-first-steps';
// The session of the first account, reused so the tests stay under the sign-in rate limit.
const authState = path.join(screenshots, 'artifacts', 'admin-session.json');
const admin = { name: 'Ada', email: `ada-${Date.now()}@example.test`, password: 'correct-horse-battery' };

// One story, in order: each step builds on the account and progress of the previous ones.
test.describe.configure({ mode: 'serial' });

const consoleErrors: string[] = [];
function watchConsole(page: Page) {
  page.on('console', (message) => {
    // The lab socket failing to connect is expected here (no sandbox daemon).
    if (message.type() === 'error' && !/websocket|socket\.io|ERR_CONNECTION_REFUSED/i.test(message.text())) {
      consoleErrors.push(message.text());
    }
  });
}

/** Points the lab at a port nothing listens on: these tests cover "sandboxd is down". */
async function sandboxDown(page: Page) {
  await page.route('**/api/lab/token', async (route) => {
    // The page may be closed while the token is in flight (end of a test): nothing left to answer.
    const response = await route.fetch().catch(() => null);
    if (!response) return;
    const body: unknown = await response.json().catch(() => null);
    if (!body || typeof body !== 'object') return;
    await route
      .fulfill({
        response,
        json: { ...body, sandboxUrl: `http://127.0.0.1:${process.env.DY_E2E_DEAD_PORT}` },
      })
      .catch(() => undefined);
  });
}

async function signIn(page: Page, locale: 'zh-CN' | 'en', password = admin.password) {
  await page.goto(`/${locale}/sign-in`);
  await page.locator('input[name=email]').fill(admin.email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
}

test('a Chinese-preferring browser lands on /zh-CN', async ({ browser }) => {
  const context = await browser.newContext({
    locale: 'zh-CN',
    extraHTTPHeaders: { 'accept-language': 'zh-CN,zh;q=0.9' },
  });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page).toHaveURL(/\/zh-CN$/);
  await expect(page.locator('h1')).toHaveText('课程');
  await context.close();
});

test('the first account on a fresh install becomes admin', async ({ page }) => {
  watchConsole(page);
  await page.goto('/zh-CN/sign-up');
  await page.locator('input[name=name]').fill(admin.name);
  await page.locator('input[name=email]').fill(admin.email);
  await page.locator('input[name=password]').fill(admin.password);
  await page.locator('form button[type=submit]').click();
  await expect(page).toHaveURL(/\/zh-CN$/);
  await expect(page.getByTestId('user-role')).toHaveText('管理员');
  await expect(page.getByTestId('user-name')).toHaveText(admin.name);
  await page.context().storageState({ path: authState });
});

test('a wrong password shows a clear error in the page language', async ({ page }) => {
  await signIn(page, 'zh-CN', 'not-the-password');
  await expect(page.getByTestId('auth-error')).toHaveText('邮箱或密码错误。');
  await signIn(page, 'en', 'not-the-password');
  await expect(page.getByTestId('auth-error')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/en\/sign-in/);
});

test('signing in with the right password works', async ({ page }) => {
  await signIn(page, 'zh-CN');
  await expect(page.getByTestId('user-role')).toHaveText('管理员');
});

test.describe('signed in', () => {
  test.use({ storageState: authState });
  test.beforeEach(async ({ page }) => {
    watchConsole(page);
    await sandboxDown(page);
    await page.goto('/zh-CN');
    await expect(page.getByTestId('user-role')).toBeVisible();
  });

  test('catalog groups lessons by topic and opens a lesson in zh-CN', async ({ page }) => {
    const topic = page.locator('section[data-topic="intro"]');
    await expect(topic.locator('h2')).toHaveText('入门');
    const card = topic.locator('[data-lesson-id="e2e-first-steps"]');
    await expect(card.getByTestId('lesson-progress')).toHaveText('未开始');
    await card.getByRole('link').click();
    await expect(page).toHaveURL(new RegExp(`/zh-CN${lessonPath}$`));
    await expect(page.getByTestId('lesson-title')).toHaveText('端到端测试课程');
  });

  test('the lab panel says the lab is unavailable and offers a retry', async ({ page }) => {
    await page.goto(`/zh-CN${lessonPath}`);
    const overlay = page.getByTestId('lab-overlay');
    await expect(overlay.getByRole('heading')).toHaveText('实验环境不可用');
    await page.getByTestId('lab-retry').click();
    await expect(overlay.getByRole('heading')).toHaveText('实验环境不可用');
    await expect(page.getByRole('tab')).toHaveCount(2);
    await page.screenshot({ path: path.join(screenshots, 'lesson-zh-CN-lab-down.png') });
  });

  test('a quiz gives a hint when wrong, passes when right, and progress survives a reload', async ({
    page,
  }) => {
    await page.goto(`/zh-CN${lessonPath}`);
    const quiz = page.getByTestId('quiz-q-kernel');
    await quiz.locator('input[value=a]').check();
    await quiz.getByRole('button').click();
    await expect(quiz.getByTestId('check-feedback')).toContainText('还不对');
    await expect(quiz.getByTestId('check-hint')).toBeVisible();
    await expect(page.getByTestId('step-status-kernel-quiz')).toHaveText('尚未通过');

    await quiz.locator('input[value=b]').check();
    await quiz.getByRole('button').click();
    await expect(quiz.getByTestId('check-feedback')).toContainText('回答正确');
    await expect(page.getByTestId('step-status-kernel-quiz')).toContainText('已通过');
    await expect(page.getByTestId('steps-progress')).toHaveText('已完成 1/3 步');

    await page.reload();
    await expect(page.getByTestId('step-status-kernel-quiz')).toContainText('已通过');
    await expect(page.getByTestId('steps-progress')).toHaveText('已完成 1/3 步');
    await page.goto('/zh-CN');
    await expect(
      page.locator('[data-lesson-id="e2e-first-steps"]').getByTestId('lesson-progress'),
    ).toHaveText('已完成 1/3 步');
  });

  test('switching to English stays on the same lesson and place', async ({ page }) => {
    await page.goto(`/zh-CN${lessonPath}`);
    const step = page.locator('section[data-step-id="pillars-quiz"]');
    await step.scrollIntoViewIfNeeded();
    await page.locator('[data-scroll-pane]').evaluate((pane) => {
      const target = pane.querySelector<HTMLElement>('section[data-step-id="pillars-quiz"]');
      if (target) pane.scrollTop += target.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    });
    await page.getByTestId('language-switch').click();
    await expect(page).toHaveURL(new RegExp(`/en${lessonPath}$`));
    await expect(page.getByTestId('lesson-title')).toHaveText('End-to-end test lesson');
    await expect(page.getByTestId('step-status-kernel-quiz')).toContainText('Passed');
    const heading = page.locator('section[data-step-id="pillars-quiz"] h2');
    await expect(heading).toHaveText('Step 3: Limits');
    await expect(heading).toBeInViewport();
    await expect(page.getByTestId('lab-overlay').getByRole('heading')).toHaveText('Lab unavailable');
    await page.screenshot({ path: path.join(screenshots, 'lesson-en-lab-down.png') });
  });

  test('the lesson page fits a phone screen', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/en${lessonPath}`);
    await expect(page.getByTestId('lesson-title')).toBeVisible();
    await expect(page.getByTestId('lab-overlay')).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

test('the browser console stayed free of errors', () => {
  expect(consoleErrors).toEqual([]);
});
