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
