// Lesson page benchmark: starts `next start` on a free port with a temp database, signs up a user,
// measures TTFB and full response time of a lesson page (p50 of N requests), and computes the
// gzipped first-load JS of that route from the build manifests (Monaco is loaded on demand and excluded).
// Last line: `lesson-page p50=<ms> ttfb p50=<ms> js-kb=<n>`
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(webDir, '../..');
const requests = Number(process.env.BENCH_REQUESTS ?? 40);
const warmup = 5;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Next 16's webpack manifests no longer list a route's chunks, so the route's own chunks come from the
// <script> tags of the served page; the shared ones from build-manifest.json's rootMainFiles.
function firstLoadJsKb(html) {
  const next = path.join(webDir, '.next');
  const build = JSON.parse(fs.readFileSync(path.join(next, 'build-manifest.json'), 'utf8'));
  const files = new Set(build.rootMainFiles);
  for (const match of html.matchAll(/<script[^>]+src="\/_next\/(static\/[^"?]+\.js)/g)) {
    files.add(decodeURIComponent(match[1] ?? ''));
  }
  let bytes = 0;
  for (const file of files) {
    if (/monaco|polyfills/i.test(file)) continue;
    bytes += zlib.gzipSync(fs.readFileSync(path.join(next, file))).length;
  }
  return Math.round(bytes / 1024);
}

async function waitForServer(url, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error('next start did not become ready within 60 s');
}

async function main() {
  execFileSync(process.execPath, [path.join(webDir, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-web-bench-'));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(port),
    DATABASE_URL: `file:${path.join(dir, 'bench.db')}`,
    DOCKYARD_DATA_DIR: dir,
    BETTER_AUTH_URL: base,
  };
  let child;
  try {
    execFileSync('npm', ['run', 'migrate'], { cwd: path.join(repo, 'packages/db'), env, stdio: 'ignore' });
    child = spawn(
      path.join(repo, 'node_modules/.bin/next'),
      ['start', '-p', String(port), '-H', '127.0.0.1'],
      {
        cwd: webDir,
        env,
        stdio: 'ignore',
      },
    );
    await waitForServer(`${base}/en/sign-in`, child);

    const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ email: 'bench@example.test', password: 'bench-password-1', name: 'Bench' }),
    });
    if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const catalog = await (await fetch(`${base}/en`, { headers: { cookie } })).text();
    const lessonId = process.env.BENCH_LESSON ?? catalog.match(/\/en\/lessons\/([a-z0-9-]+)/)?.[1];
    if (!lessonId) throw new Error('no lesson found in the catalog');
    const url = `${base}/en/lessons/${lessonId}`;

    let lastBody = '';
    const ttfb = [];
    const total = [];
    for (let i = 0; i < warmup + requests; i++) {
      const start = performance.now();
      const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
      const headersAt = performance.now();
      const body = await response.text();
      const end = performance.now();
      if (response.status !== 200 || !body.includes('data-scroll-pane')) {
        throw new Error(`unexpected lesson page response ${response.status}`);
      }
      lastBody = body;
      if (i >= warmup) {
        ttfb.push(headersAt - start);
        total.push(end - start);
      }
    }
    const jsKb = firstLoadJsKb(lastBody);
    console.log(`lesson: ${lessonId}, ${requests} requests after ${warmup} warm-up`);
    console.log(
      `lesson-page p50=${median(total).toFixed(1)} ttfb p50=${median(ttfb).toFixed(1)} js-kb=${jsKb}`,
    );
  } finally {
    child?.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
