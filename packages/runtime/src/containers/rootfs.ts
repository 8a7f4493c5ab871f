import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ImageStore } from '../images/store.js';
import { inUserNamespace } from '../images/whiteouts.js';
import { NOT_MOUNTED, runBuiltin } from '../util/builtins.js';
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
  // mount(2) takes options up to a page; a longer layer list goes through mount(8), which may split them.
  const r =
    opts.length < MOUNT_DATA_MAX
      ? await runBuiltin('mount-overlay', [p.merged, opts])
      : await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, p.merged]);
  if (r.code !== 0) throw new Error(`mounting the container rootfs failed: ${r.stderr.trim()}`);
  return p.merged;
}

const MOUNT_DATA_MAX = 4000;

/** Unmounts everything stacked on the rootfs; a mount still busy is detached (the kernel frees it once unused). */
export async function unmountRootfs(containerDir: string): Promise<void> {
  const { merged } = rootfsPaths(containerDir);
  for (let i = 0; i < 5; i++) {
    let r = await runBuiltin('umount', [merged]);
    // Busy: e.g. a dying exec still has its cwd there.
    if (r.code !== 0 && r.code !== NOT_MOUNTED) r = await runBuiltin('umount', [merged, 'lazy']);
    if (r.code === NOT_MOUNTED) return;
    if (r.code !== 0) throw new Error(r.stderr);
  }
}
