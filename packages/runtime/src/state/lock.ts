import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * Runs fn while holding an exclusive lock on `name` under `<root>/locks`.
 * proper-lockfile uses mkdir-based locks with mtime refresh, so a lock of a killed process goes stale and is taken over.
 */
export async function withLock<T>(root: string, name: string, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(root, 'locks');
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, name.replace(/[^a-zA-Z0-9_.-]/g, '_'));
  await fs.writeFile(target, '', { flag: 'a' });
  const release = await lockfile.lock(target, {
    stale: 10_000,
    update: 2_000,
    realpath: false,
    retries: { retries: 600, factor: 1, minTimeout: 20, maxTimeout: 100 },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
