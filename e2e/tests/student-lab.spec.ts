// The lab for real: a sandboxd (started by playwright.config.ts) gives the student a box; the browser
// talks to it with a token from the web app. Runs after student-journey.spec.ts (alphabetical, one worker),
// whose admin account plays the student who finds the host full.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { decodeJwt, SignJWT } from 'jose';

const results = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results');
const adminSession = path.join(results, 'artifacts', 'admin-session.json');
// Set by playwright.config.ts in the runner and inherited by this worker.
const baseURL = `http://localhost:${process.env.DY_E2E_PORT}`;
const sandboxURL = `http://127.0.0.1:${process.env.DY_E2E_SANDBOX_PORT}`;
const lessonPath = '/lessons/e2e-first-steps';
const student = {
  name: 'Lin',
  email: `lin-${Date.now()}@example.test`,
  password: 'correct-horse-battery-lab',
};

test.describe.configure({ mode: 'serial' });

let context: BrowserContext;
let page: Page;
// Every console error from the leave / died tests on (earlier tests provoke expected socket errors).
const consoleErrors: string[] = [];

/** The terminal's visible lines (xterm's DOM renderer), trailing blanks removed. */
async function terminalLines(terminalId = 't0'): Promise<string[]> {
  return page
    .getByTestId(`terminal-${terminalId}`)
    .locator('.xterm-rows > div')
    .evaluateAll((rows) => rows.map((row) => (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()));
}

async function waitForPrompt() {
  await expect(page.getByTestId('lab-status')).toHaveAttribute('class', /dy-lab-connected/, {
    timeout: 60_000,
  });
  await expect
    .poll(async () => (await terminalLines()).some((line) => /[#$]$/.test(line)), { timeout: 30_000 })
    .toBe(true);
}

async function typeInTerminal(command: string) {
  await page.getByTestId('terminal-t0').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

async function expectTerminalLine(line: string) {
  await expect.poll(async () => (await terminalLines()).includes(line), { timeout: 20_000 }).toBe(true);
}

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({ baseURL });
  page = await context.newPage();
});

test.afterAll(async () => {
  await context.close();
});

test('sandboxd answers CORS for exactly the web origin', async ({ request }) => {
  const handshake = `${sandboxURL}/socket.io/?EIO=4&transport=polling`;
  const ours = await request.get(handshake, { headers: { origin: baseURL } });
  expect(ours.headers()['access-control-allow-origin']).toBe(baseURL);
  const other = await request.get(handshake, { headers: { origin: 'http://elsewhere.test' } });
  expect(other.headers()['access-control-allow-origin']).toBeUndefined();
});

test('a new student signs up and gets a live terminal in their box', async () => {
  await page.goto('/zh-CN/sign-up');
  await page.locator('input[name=name]').fill(student.name);
  await page.locator('input[name=email]').fill(student.email);
  await page.locator('input[name=password]').fill(student.password);
  await page.locator('form button[type=submit]').click();
  await expect(page).toHaveURL(/\/zh-CN$/);
  await page.goto(`/zh-CN${lessonPath}`);
  await waitForPrompt();
  await typeInTerminal("unshare -u sh -c 'hostname lab; hostname'");
  await expectTerminalLine('lab');
});

test('a hands-on step fails with its hint, then passes once done in the terminal', async () => {
  const checks = page.getByTestId('checks-run-something');
  await page.getByTestId('lab-check-run-something').click();
  await expect(page.getByTestId('lab-feedback-run-something')).toContainText('没有找到 sleep 4242 进程');
  await expect(page.getByTestId('step-status-run-something')).toHaveText('尚未通过');

  // The step's code block: its Run button types the command into the terminal and presses Enter.
  await page.getByTestId('code-run-0').click();
  await expect(page.getByTestId('code-notice-0')).toHaveText('已发送到终端');
  await expect
    .poll(async () => (await terminalLines()).some((line) => /[#$] sleep 4242 &$/.test(line)))
    .toBe(true);
  await typeInTerminal('pgrep -fx "sleep 4242" >/dev/null && echo sleep-is-running');
  await expectTerminalLine('sleep-is-running');
  await page.getByTestId('lab-check-run-something').click();
  await expect(page.getByTestId('lab-feedback-run-something')).toContainText('已通过');
  await expect(checks).toHaveAttribute('data-passed', 'true');
  await expect(page.getByTestId('step-status-run-something')).toContainText('已通过');
});

test('the Copy button puts the code block on the clipboard and says so', async () => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await page.getByTestId('code-copy-0').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('code-notice-0')).toHaveText('已复制');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('sleep 4242 &');
});

test('a file saved in the editor is what the terminal reads', async () => {
  await page.getByTestId('editor-toggle').click();
  await expect(page.getByTestId('editor-panel')).toBeVisible();
  await page.getByTestId('editor-path').fill('/root/notes.txt');
  await page.getByTestId('editor-open').click();
  const editor = page.locator('.monaco-editor .view-lines');
  await expect(editor).toBeVisible({ timeout: 30_000 });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('saved from the editor');
  await page.getByTestId('editor-save').click();
  await expect(page.getByTestId('editor-notice')).toHaveText('已保存');

  // The narrower terminal was refitted and the shell told its new size.
  await typeInTerminal('clear; cat /root/notes.txt; echo; stty size');
  await expectTerminalLine('saved from the editor');
  await expect
    .poll(async () => (await terminalLines()).find((line) => /^\d+ \d+$/.test(line)) ?? '')
    .toMatch(/^\d+ \d+$/);
});

test('after a reload progress is kept and the terminal shows its scrollback', async () => {
  await page.reload();
  await expect(page.getByTestId('step-status-run-something')).toContainText('已通过');
  await waitForPrompt();
  await expectTerminalLine('saved from the editor');
  await page.screenshot({ path: path.join(results, 'lesson-zh-CN.png') });

  await page.getByTestId('language-switch').click();
  await expect(page).toHaveURL(new RegExp(`/en${lessonPath}$`));
  await expect(page.getByTestId('step-status-run-something')).toContainText('Passed');
  await waitForPrompt();
  await typeInTerminal("echo 'hello in English'");
  await expectTerminalLine('hello in English');
  await page.screenshot({ path: path.join(results, 'lesson-en.png') });
});

test('an expired lab token is replaced and the lab still connects', async () => {
  let served = 0;
  await page.route('**/api/lab/token', async (route) => {
    served += 1;
    const response = await route.fetch();
    const body = await response.json();
    if (served > 1) return route.fulfill({ response, json: body });
    // Same claims, signed with the shared secret, but expired a minute ago.
    const { sub, lesson, role } = decodeJwt(body.token);
    const past = Math.floor(Date.now() / 1000) - 300;
    const expired = await new SignJWT({ lesson, role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(sub))
      .setIssuer('dockyard-web')
      .setAudience('dockyard-sandboxd')
      .setIssuedAt(past)
      .setExpirationTime(past + 60)
      .sign(new TextEncoder().encode(process.env.DY_E2E_LAB_SECRET));
    await route.fulfill({ response, json: { ...body, token: expired } });
  });
  await page.reload();
  await waitForPrompt();
  expect(served).toBeGreaterThanOrEqual(2);
  await page.unroute('**/api/lab/token');
});

test('a second student on a full host is told so in their language', async ({ browser }) => {
  expect(fs.existsSync(adminSession), 'student-journey.spec.ts made this account').toBe(true);
  const other = await browser.newContext({ baseURL, storageState: adminSession });
  const second = await other.newPage();
  await second.goto(`/zh-CN${lessonPath}`);
  await expect(second.getByTestId('lab-error')).toHaveText('实验机器已满，请稍后再试。', { timeout: 30_000 });
  await second.getByTestId('lab-check-run-something').click();
  await expect(second.getByTestId('lab-feedback-run-something')).toContainText('实验机器已满');
  await second.goto(`/en${lessonPath}`);
  await expect(second.getByTestId('lab-error')).toHaveText(
    'All lab machines are busy. Please try again in a minute.',
    { timeout: 30_000 },
  );
  await other.close();
});

/** Host pid of PID 1 in the pid namespace of the process whose command line is `argv`: the box's init. */
function boxInitPid(argv: string[]): number {
  const wanted = `${argv.join('\0')}\0`;
  const pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return null; // gone meanwhile
    }
  };
  const marker = pids.find((pid) => read(`/proc/${pid}/cmdline`) === wanted);
  if (!marker) throw new Error(`no process ${argv.join(' ')}`);
  const namespace = fs.readlinkSync(`/proc/${marker}/ns/pid`);
  for (const pid of pids) {
    const nspid = /^NSpid:\s+(.*)$/m
      .exec(read(`/proc/${pid}/status`) ?? '')?.[1]
      ?.trim()
      .split(/\s+/);
    if (nspid?.at(-1) !== '1') continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/pid`) === namespace) return Number(pid);
    } catch {}
  }
  throw new Error(`no init in the pid namespace of ${marker}`);
}

test('signing out leaves the lab: other tabs are told, the box stops and the work is kept', async () => {
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(`/en${lessonPath}`);
  await waitForPrompt();
  await typeInTerminal('echo kept-through-leave > /root/kept.txt; sleep 4242 & echo written');
  await expectTerminalLine('written');

  // A second tab of the same student watches the same box.
  const other = await context.newPage();
  other.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await other.goto(`/zh-CN${lessonPath}`);
  await expect(other.getByTestId('lab-status')).toHaveAttribute('class', /dy-lab-connected/, {
    timeout: 60_000,
  });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(other.getByTestId('lab-stopped')).toHaveAttribute('data-reason', 'left');
  await expect(other.getByTestId('lab-stopped')).toHaveText('你已离开实验，实验机器已停止，你的文件已保存。');
  await expect(other.getByTestId('lab-new-machine')).toHaveText('启动新的实验机');
  await other.close();

  await page.goto('/en/sign-in');
  await page.locator('input[name=email]').fill(student.email);
  await page.locator('input[name=password]').fill(student.password);
  await page.locator('form button[type=submit]').click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.goto(`/en${lessonPath}`);
  await waitForPrompt();
  // A new box (the old one's sleep is gone) with the file restored from the saved layer.
  await typeInTerminal('clear; pgrep -fx "sleep 4242" || echo no-old-processes; cat /root/kept.txt');
  await expectTerminalLine('no-old-processes');
  await expectTerminalLine('kept-through-leave');
});

test('a box whose init dies says so, and a new machine starts with the work restored', async () => {
  const marker = `7${crypto.randomInt(100_000, 999_999)}`;
  await typeInTerminal(`echo after-death > /root/died.txt; sleep ${marker} & echo marked`);
  await expectTerminalLine('marked');
  let init = 0;
  await expect
    .poll(() => {
      try {
        init = boxInitPid(['sleep', marker]);
        return true;
      } catch {
        return false;
      }
    })
    .toBe(true);
  process.kill(init, 'SIGKILL');

  await expect(page.getByTestId('lab-stopped')).toHaveAttribute('data-reason', 'died', { timeout: 20_000 });
  await expect(page.getByTestId('lab-stopped')).toContainText('its first process ended');
  await expect(page.getByRole('heading', { name: 'Your lab machine stopped' })).toBeVisible();
  await page.getByTestId('lab-new-machine').click();
  await waitForPrompt();
  await typeInTerminal(
    `clear; pgrep -fx "sleep ${marker}" || echo fresh-box; cat /root/died.txt /root/kept.txt`,
  );
  await expectTerminalLine('fresh-box');
  await expectTerminalLine('after-death');
  await expectTerminalLine('kept-through-leave');
});

test('the browser console stayed free of errors while leaving and restarting', () => {
  expect(consoleErrors).toEqual([]);
});
