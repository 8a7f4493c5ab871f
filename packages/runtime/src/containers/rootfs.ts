import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ImageStore } from '../images/store.js';
import { inUserNamespace } from '../images/whiteouts.js';
import { run } from '../util/exec.js';

export interface RootfsPaths {
  upper: string;
  work: string;
  merged: string;
}

export const rootfsPaths = (containerDir: string): RootfsPaths => ({
  upper: path.join(containerDir, 'upper'),
  work: path.join(containerDir, 'work'),
  merged: path.join(containerDir, 'rootfs'),
});

/** Mount points listed in /proc/self/mountinfo (field 5), with octal escapes decoded. */
export async function mountPoints(): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) =>
      (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) =>
        String.fromCharCode(Number.parseInt(o, 8)),
      ),
    );
}

export async function isMounted(p: string): Promise<boolean> {
  return (await mountPoints()).includes(p);
}

/** overlayfs: image layers (top first) as lowerdir, the container's own upper/work dirs, merged = bundle rootfs. */
export async function mountRootfs(
  images: ImageStore,
  layers: string[],
  containerDir: string,
): Promise<string> {
  const p = rootfsPaths(containerDir);
  await Promise.all([p.upper, p.work, p.merged].map((d) => fs.mkdir(d, { recursive: true })));
  if (await isMounted(p.merged)) return p.merged;
  const lower = [...layers].reverse().map((d) => images.layerDiff(d));
  const opts = `lowerdir=${lower.join(':')},upperdir=${p.upper},workdir=${p.work}${inUserNamespace() ? ',userxattr' : ''}`;
  const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, p.merged]);
  if (r.code !== 0) throw new Error(`mounting the container rootfs failed: ${r.stderr.trim()}`);
  return p.merged;
}

export async function unmountRootfs(containerDir: string): Promise<void> {
  const { merged } = rootfsPaths(containerDir);
  for (let i = 0; i < 5 && (await isMounted(merged)); i++) {
    const r = await run('umount', [merged]);
    if (r.code !== 0) {
      // Busy (a process still has a cwd there, e.g. a dying exec): detach, the kernel frees it when unused.
      await run('umount', ['-l', merged]);
    }
  }
}
