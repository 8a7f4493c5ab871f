import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

const queues = new Map<string, Promise<void>>();

/**
 * Runs fn after every earlier caller in this process with the same key is done. A file lock held by this process
 * is retried on a timer (20 ms and up); queueing here first lets the next in line go on the moment it is free,
 * and leaves the file lock to settle contention with other processes.
 */
export async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = before.then(() => new Promise<void>((resolve) => (done = resolve)));
  queues.set(key, mine);
  await before;
  try {
    return await fn();
  } finally {
    done();
    if (queues.get(key) === mine) queues.delete(key);
  }
}

/**
 * Runs fn while holding an exclusive lock on `name` under `<root>/locks`.
 * proper-lockfile uses mkdir-based locks with mtime refresh, so a lock of a killed process goes stale and is taken over.
 */
export async function withLock<T>(root: string, name: string, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(root, 'locks');
  const target = path.join(dir, name.replace(/[^a-zA-Z0-9_.-]/g, '_'));
  return serialized(target, async () => {
    const lock = () =>
      lockfile.lock(target, {
        stale: 10_000,
        update: 2_000,
        // The lock is the directory `<target>.lock`; the target itself need not exist.
        realpath: false,
        retries: { retries: 600, factor: 1, minTimeout: 20, maxTimeout: 100 },
      });
    const release = await lock().catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await fs.mkdir(dir, { recursive: true });
      return lock();
    });
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  });
}
