// Builds the web app when there is no production build yet or a source file is newer than it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(webDir, '../..');
const buildId = path.join(webDir, '.next/BUILD_ID');
const sources = [
  webDir,
  path.join(repo, 'packages/lessons/src'),
  path.join(repo, 'packages/protocol/src'),
  path.join(repo, 'packages/db/src'),
  path.join(repo, 'packages/db/prisma'),
];
const skip = new Set([
  'node_modules',
  '.next',
  '.data',
  'test-results',
  'generated',
  'test',
  'bench.mjs',
  'README.md',
]);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
const changedAt = Math.max(...sources.filter((dir) => fs.existsSync(dir)).map(newestMtime));
if (builtAt && builtAt >= changedAt) {
  console.log('web: build is up to date');
} else {
  // `build` generates the Prisma clients first (prebuild).
  execFileSync('npm', ['run', 'build'], {
    cwd: webDir,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
}
