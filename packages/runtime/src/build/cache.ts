import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { writeFileAtomic } from '../state/files.js';

/**
 * The classic builder's cache: (parent image id, instruction key) → the image that step produced. The key is the
 * instruction as executed (after substitution; for RUN with the build args in effect; for COPY/ADD with a checksum
 * of the copied files), so an entry is valid exactly when the step would produce the same result.
 */
export class BuildCache {
  readonly dir: string;
  constructor(private readonly engine: Engine) {
    this.dir = path.join(engine.cfg.root, 'builder', 'cache');
  }

  private file(parent: string, key: string): string {
    return path.join(this.dir, createHash('sha256').update(`${parent}\n${key}`).digest('hex'));
  }

  async get(parent: string, key: string): Promise<string | undefined> {
    const id = (await fs.readFile(this.file(parent, key), 'utf8').catch(() => '')).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) return undefined;
    // The image may have been removed since.
    const still = await this.engine.images.getConfig(id).then(
      () => true,
      () => false,
    );
    return still ? id : undefined;
  }

  async put(parent: string, key: string, id: string): Promise<void> {
    await writeFileAtomic(this.file(parent, key), id);
  }

  /** Drops every entry; returns the image ids they pointed to. */
  async prune(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const ids: string[] = [];
    for (const n of names) {
      const f = path.join(this.dir, n);
      const id = (await fs.readFile(f, 'utf8').catch(() => '')).trim();
      if (id) ids.push(id);
      await fs.rm(f, { force: true });
    }
    return [...new Set(ids)];
  }
}

/**
 * `POST /build/prune`: forgets the cache and deletes the images only it kept (untagged, unused by containers).
 * Returns the deleted image ids and the bytes of the layers that went with them.
 */
export async function pruneBuildCache(engine: Engine): Promise<{ deleted: string[]; reclaimed: number }> {
  const ids = await new BuildCache(engine).prune();
  const used = new Set((await engine.containers.list()).map((c) => c.imageId));
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const id of ids) {
    if (used.has(id) || (await engine.images.tagsOf(id)).length) continue;
    const exists = await engine.images.getConfig(id).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    const sizes = new Map<string, number>();
    for (const d of (await engine.images.getConfig(id)).rootfs.diff_ids)
      sizes.set(d, (await engine.images.layerMeta(d))?.size ?? 0);
    for (const d of await engine.images.deleteImage(id)) reclaimed += sizes.get(d) ?? 0;
    deleted.push(id);
  }
  return { deleted, reclaimed };
}
