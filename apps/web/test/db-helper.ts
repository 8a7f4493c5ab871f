import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const migrateScript = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../packages/db/scripts/migrate.ts',
);

/** A temp dir with a migrated SQLite database; env points the app at both. Returns the dir to remove. */
export async function useTempDatabase(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dy-web-${prefix}-`));
  const url = `file:${path.join(dir, 'test.db')}`;
  // The WASM schema engine does not run inside vitest's module runner: migrate in a plain Node process.
  await promisify(execFile)(process.execPath, ['--import', 'tsx', migrateScript, 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
  });
  process.env.DATABASE_URL = url;
  process.env.DOCKYARD_DATA_DIR = dir;
  return dir;
}
