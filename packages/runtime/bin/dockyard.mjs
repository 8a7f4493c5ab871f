#!/usr/bin/env node
// Launcher for the dockyard CLI. Start-up time matters (every verb is a process, and so is every container
// exit's cleanup), so the TypeScript sources are bundled once with esbuild into dist/dockyard.mjs and rebuilt
// only when a source file is newer; without esbuild it falls back to tsx's loader.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
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

const { main } = await import(pathToFileURL(await entry()).href);
const code = await main(process.argv.slice(2));
const finish = () => process.exit(code);
if (process.stdout.writableLength) process.stdout.once('drain', finish);
else finish();
