#!/usr/bin/env node
// Launcher for the dockyard CLI. Start-up time matters (every verb is a process, and so is every container
// exit's cleanup), so the TypeScript sources are bundled once with esbuild into dist/dockyard.mjs and rebuilt
// only when a source file is newer; without esbuild it falls back to tsx's loader.
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');
const bundle = join(root, 'dist/dockyard.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

async function entry() {
  const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(srcDir);
  if (fresh) return bundle;
  try {
    const esbuild = await import('esbuild');
    const tmp = `${bundle}.${process.pid}.tmp`;
    await esbuild.build({
      entryPoints: [join(srcDir, 'cli/main.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    renameSync(tmp, bundle);
    return bundle;
  } catch {
    const { register } = await import('tsx/esm/api');
    register();
    return join(srcDir, 'cli/main.ts');
  }
}

// dyshim runs `container cleanup <id> <generation>` at every container exit. Usually a verb got there first
// (run --rm, stop, rm): then there is nothing to do, and loading the whole engine for that would double the
// cost of a short-lived container.
function cleanupAlreadyDone(args) {
  if (args[0] !== 'container' || args[1] !== 'cleanup' || !/^[0-9a-f]{64}$/.test(args[2] ?? '')) return false;
  const record = join(
    process.env.DOCKYARD_ROOT || '/var/lib/dockyard',
    'containers',
    args[2],
    'container.json',
  );
  try {
    const { state } = JSON.parse(readFileSync(record, 'utf8'));
    const live = state.status === 'running' || state.status === 'paused';
    return !live || (args[3] !== undefined && String(state.generation) !== args[3]);
  } catch (e) {
    return e.code === 'ENOENT';
  }
}
if (cleanupAlreadyDone(process.argv.slice(2))) process.exit(0);
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  process.stdout.write(`Dockyard version ${version}\n`);
  process.exit(0);
}

const { main } = await import(pathToFileURL(await entry()).href);
const code = await main(process.argv.slice(2));
const finish = () => process.exit(code);
if (process.stdout.writableLength) process.stdout.once('drain', finish);
else finish();
