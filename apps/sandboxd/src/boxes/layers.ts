import { createHash } from 'node:crypto';
import {
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { run } from '../util/exec.js';

/**
 * Saved writable layers: a box's overlay upper dir as a zstd tar (xattrs, whiteout devices and numeric owners
 * kept), one per owner, so a student's work survives between classes. Owners in the tar are host uids of the old
 * box; restoring shifts them into the new box's range.
 */
const SaveMetaSchema = z.object({
  idBase: z.number().int().positive(),
  savedAt: z.string(),
  bytes: z.number(),
});

export class LayerStore {
  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  private base(owner: string) {
    return join(this.dir, createHash('sha256').update(owner).digest('hex').slice(0, 32));
  }

  has(owner: string): boolean {
    return existsSync(`${this.base(owner)}.tar.zst`);
  }

  discard(owner: string) {
    rmSync(`${this.base(owner)}.tar.zst`, { force: true });
    rmSync(`${this.base(owner)}.json`, { force: true });
  }

  /** Saves `upper` for `owner`; returns false (keeping any older save) when it is empty or over the cap. */
  async save(owner: string, upper: string, idBase: number): Promise<boolean> {
    if (!existsSync(upper) || readdirSync(upper).length === 0) {
      this.discard(owner);
      return false;
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const base = this.base(owner);
    const partial = `${base}.partial`;
    try {
      await run(
        [
          'tar',
          '--create',
          '--xattrs',
          '--xattrs-include=*',
          '--numeric-owner',
          '--sparse',
          '--zstd',
          '--file',
          partial,
          '--directory',
          upper,
          '.',
        ],
        { timeoutMs: 120_000 },
      );
      const bytes = statSync(partial).size;
      if (bytes > this.maxBytes) return false;
      renameSync(partial, `${base}.tar.zst`);
      writeFileSync(`${base}.json`, JSON.stringify({ idBase, savedAt: new Date().toISOString(), bytes }));
      return true;
    } finally {
      rmSync(partial, { force: true });
    }
  }

  /** Unpacks the owner's saved layer into an empty `upper` owned by a box whose range starts at `idBase`. */
  async restore(owner: string, upper: string, idBase: number): Promise<boolean> {
    const base = this.base(owner);
    if (!this.has(owner) || !existsSync(`${base}.json`)) return false;
    const meta = SaveMetaSchema.parse(JSON.parse(readFileSync(`${base}.json`, 'utf8')));
    await run(
      [
        'tar',
        '--extract',
        '--xattrs',
        '--xattrs-include=*',
        '--numeric-owner',
        '--same-owner',
        '--same-permissions',
        '--zstd',
        '--file',
        `${base}.tar.zst`,
        '--directory',
        upper,
      ],
      { timeoutMs: 120_000 },
    );
    if (meta.idBase !== idBase) shiftOwners(upper, meta.idBase, idBase);
    return true;
  }
}

/** Moves every owner in a tree from one box's uid range to another's (ids outside the old range become nobody). */
function shiftOwners(path: string, from: number, to: number) {
  const stats = lstatSync(path);
  const shift = (id: number) => (id >= from && id < from + 65536 ? id - from + to : to + 65534);
  lchownSync(path, shift(stats.uid), shift(stats.gid));
  if (stats.isDirectory()) for (const name of readdirSync(path)) shiftOwners(join(path, name), from, to);
}
