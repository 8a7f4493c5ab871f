import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { findOpaqueDirs } from '../images/whiteouts.js';
import { INIT_PATHS } from './mounted.js';
import type { ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/** docker diff from the overlay upper dir: 0/0 char devices are deletions, paths present below are changes. */
export async function containerChanges(
  engine: Engine,
  rec: ContainerRecord,
): Promise<{ changes: Change[]; excluded: Set<string> }> {
  const upper = rootfsPaths(engine.containers.dir(rec.id)).upper;
  const lowers = [...rec.layers].reverse().map((d) => engine.images.layerDiff(d));
  // A container never started has no upper dir yet: no changes.
  await fs.mkdir(upper, { recursive: true });
  const opaque = await findOpaqueDirs(upper);
  const inLower = async (rel: string) => {
    for (const l of lowers)
      if (
        await fs.lstat(path.join(l, rel)).then(
          () => true,
          () => false,
        )
      )
        return true;
    return false;
  };
  const all: (Change & { empty: boolean })[] = [];
  const walk = async (dir: string, rel: string) => {
    const names = (await fs.readdir(dir).catch(() => [] as string[])).sort();
    for (const n of names) {
      const abs = path.join(dir, n);
      const r = `${rel}/${n}`;
      const st = await fs.lstat(abs);
      if (st.isCharacterDevice() && st.rdev === 0) {
        all.push({ kind: 'D', path: r, empty: false });
        continue;
      }
      const kind = (await inLower(r)) ? 'C' : 'A';
      const empty = (st.isDirectory() && !opaque.has(abs)) || (st.isFile() && st.size === 0);
      all.push({ kind, path: r, empty });
      if (st.isDirectory()) await walk(abs, r);
    }
  };
  await walk(upper, '');
  // Mount points made for the runtime are no change of the container's own; drop them (and dirs left empty by that).
  const excluded = new Set<string>();
  for (let i = all.length - 1; i >= 0; i--) {
    const c = all[i] as (typeof all)[number];
    const hasKeptChild = all.some((o) => o.path.startsWith(`${c.path}/`) && !excluded.has(o.path));
    if (INIT_PATHS.has(c.path) && c.kind !== 'D' && !hasKeptChild && c.empty) excluded.add(c.path);
  }
  const changes = all.filter((c) => !excluded.has(c.path)).map(({ kind, path: p }) => ({ kind, path: p }));
  return { changes, excluded };
}
