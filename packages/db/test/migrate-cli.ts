import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scripts/migrate.ts');

// The WASM schema engine panics inside vitest's module runner, so tests drive the real CLI
// (the same entry point `npm run migrate` uses) in a plain Node process.
export async function migrateCli(url: string, command: 'deploy' | 'diff'): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, command], {
    env: { ...process.env, DATABASE_URL: url },
  });
  return stdout.trim();
}
