import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NOT_MOUNTED, runBuiltin } from '../util/builtins.js';

/** A persistent network namespace (like `ip netns add`) at <run>/netns/<id>, so networking can be set up before the container starts. */
export const netnsPath = (runRoot: string, id: string) => path.join(runRoot, 'netns', id);

export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '');
  const r = await runBuiltin('netns-new', [file]);
  if (r.code !== 0) {
    await fs.rm(file, { force: true });
    throw new Error(`creating a network namespace failed: ${r.stderr}`);
  }
}

export async function removeNetns(file: string): Promise<void> {
  const r = await runBuiltin('umount', [file, 'lazy']);
  if (r.code !== 0 && r.code !== NOT_MOUNTED) throw new Error(r.stderr);
  await fs.rm(file, { force: true });
}
