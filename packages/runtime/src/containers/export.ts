import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine.js';
import { packTree } from '../images/pack.js';
import { withMergedRootfs } from './mounted.js';

/** docker export: the container's merged filesystem as one flat tar. */
export async function exportContainer(engine: Engine, ref: string, out: Writable): Promise<void> {
  const rec = await engine.containers.get(ref);
  await withMergedRootfs(engine, rec, (rootfs) => pipeline(packTree(rootfs, { skipRoot: true }), out));
}
