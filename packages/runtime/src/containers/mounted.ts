import type { Engine } from '../engine.js';
import type { ContainerRecord } from './record.js';
import { isMounted, mountRootfs, rootfsPaths, unmountRootfs } from './rootfs.js';

/** Runs fn with the container's merged rootfs mounted (mounting it only for the call if it is stopped). */
export async function withMergedRootfs<T>(
  engine: Engine,
  rec: ContainerRecord,
  fn: (rootfs: string) => Promise<T>,
): Promise<T> {
  return engine.containers.withLock(rec.id, async () => {
    const dir = engine.containers.dir(rec.id);
    const merged = rootfsPaths(dir).merged;
    if (await isMounted(merged)) return fn(merged);
    await mountRootfs(engine.images, rec.layers, dir);
    try {
      return await fn(merged);
    } finally {
      await unmountRootfs(dir);
    }
  });
}

/** Paths the engine or the runtime creates as mount points; they are not the container's own changes. */
export const INIT_PATHS = new Set([
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/dev',
  '/proc',
  '/sys',
  '/etc',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev/console',
]);
