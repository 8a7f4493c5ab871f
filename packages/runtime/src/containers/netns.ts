import { promises as fs } from 'node:fs';
import path from 'node:path';
import { run } from '../util/exec.js';
import { isMounted } from './rootfs.js';

/** A persistent network namespace (like `ip netns add`) at <run>/netns/<id>, so networking can be set up before the container starts. */
export const netnsPath = (runRoot: string, id: string) => path.join(runRoot, 'netns', id);

export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '');
  const r = await run('unshare', [`--net=${file}`, 'true']);
  if (r.code !== 0) {
    await fs.rm(file, { force: true });
    throw new Error(`creating a network namespace failed: ${r.stderr.trim()}`);
  }
}

export async function removeNetns(file: string): Promise<void> {
  if (await isMounted(file)) await run('umount', ['-l', file]);
  await fs.rm(file, { force: true });
}
