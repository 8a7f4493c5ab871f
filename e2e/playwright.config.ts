import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, devices } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

// Workers re-read this file: decide ports and the temp dir once, in the runner, and pass them on.
function freePort(): number {
  const script =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
}
process.env.DY_E2E_PORT ??= String(freePort());
process.env.DY_E2E_SANDBOX_PORT ??= String(freePort());
// A port nothing listens on, for the "sandboxd is down" tests.
process.env.DY_E2E_DEAD_PORT ??= String(freePort());
process.env.DY_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dy-e2e-'));
// Shared by the web app (signs lab tokens) and the test sandboxd (verifies them).
process.env.DY_E2E_LAB_SECRET ??= crypto.randomBytes(32).toString('base64url');
process.env.DY_E2E_SUFFIX ??= crypto.randomBytes(2).toString('hex');

const port = Number(process.env.DY_E2E_PORT);
const dataDir = process.env.DY_E2E_DIR;
export const baseURL = `http://localhost:${port}`;
export const sandboxURL = `http://127.0.0.1:${process.env.DY_E2E_SANDBOX_PORT}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results/artifacts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    ...devices['Desktop Chrome'],
    viewport: { width: 1280, height: 720 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      // A real sandboxd (needs root, as CI is): boxes, bridge and cgroups are removed on SIGTERM.
      command: 'node --import tsx e2e/sandboxd-host.mjs',
      cwd: repo,
      url: `${sandboxURL}/healthz`,
      timeout: 120_000,
      reuseExistingServer: false,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 60_000 },
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        SANDBOXD_TOKEN_SECRET: process.env.DY_E2E_LAB_SECRET,
        DY_E2E_WEB_ORIGIN: baseURL,
      },
    },
    {
      command: 'npm run migrate -w packages/db && node apps/web/server.mjs',
      cwd: repo,
      url: `${baseURL}/en/sign-in`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        DATABASE_URL: `file:${path.join(dataDir, 'e2e.db')}`,
        DOCKYARD_DATA_DIR: dataDir,
        LESSONS_DIR: path.join(here, 'fixtures/lessons'),
        BETTER_AUTH_URL: baseURL,
        DOCKYARD_SANDBOX_URL: sandboxURL,
        DOCKYARD_LAB_TOKEN_SECRET: process.env.DY_E2E_LAB_SECRET,
      },
    },
  ],
});
