import { chownSync, existsSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMountinfo, readProcessCgroups } from '@dockyard/grader';

/**
 * The box's cgroup directories on the host, one per mounted hierarchy (v1 controllers, named hierarchies and the
 * unified one), found from the box init's own membership.
 */
export function boxCgroupDirs(pid: number): string[] {
  const membership = readProcessCgroups(pid);
  const dirs: string[] = [];
  for (const mount of readMountinfo(process.pid)) {
    if (mount.fstype === 'cgroup2') {
      const path = membership.get('');
      if (path !== undefined) dirs.push(join(mount.target, path));
    } else if (mount.fstype === 'cgroup') {
      const key = [...membership.keys()].find((k) =>
        k.split(',').some((c) => mount.superOptions.includes(c)),
      );
      const path = key === undefined ? undefined : membership.get(key);
      if (path !== undefined) dirs.push(join(mount.target, path));
    }
  }
  return [...new Set(dirs)].filter((dir) => existsSync(dir));
}

// Files the box's root must own to manage its subtree (v1 and v2 names; absent ones are skipped).
const DELEGATED_FILES = [
  'cgroup.procs',
  'tasks',
  'cgroup.subtree_control',
  'cgroup.threads',
  'cgroup.clone_children',
];

/**
 * Delegates the box's subtree to its root: the directory and its process files become owned by the box's uid,
 * so it can create child cgroups and set their limits. The box's own limit files stay root-owned, so nothing
 * inside can raise them; children are bounded by the parent in every hierarchy.
 */
export function delegateCgroups(dirs: string[], uid: number) {
  for (const dir of dirs) {
    chownSync(dir, uid, uid);
    for (const file of DELEGATED_FILES) {
      if (existsSync(join(dir, file))) chownSync(join(dir, file), uid, uid);
    }
  }
}

/**
 * Thaws every frozen cgroup in a box's subtree (a paused nested container): frozen processes cannot act on
 * SIGKILL, so a box with one would never finish dying.
 */
export function thawTree(dir: string) {
  if (!existsSync(dir)) return;
  for (const [file, thawed] of [
    ['freezer.state', 'THAWED'],
    ['cgroup.freeze', '0'],
  ] as const) {
    if (existsSync(join(dir, file))) {
      try {
        writeFileSync(join(dir, file), thawed);
      } catch {
        // The root of a hierarchy has no freezer to thaw.
      }
    }
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) thawTree(join(dir, entry.name));
  }
}

/**
 * Removes a cgroup directory and everything below it, deepest first. A killed task leaves its cgroups only late
 * in its exit (after its namespaces are torn down), so a busy directory is retried until `timeoutMs`.
 */
export async function removeCgroupTree(dir: string, opts: { keepRoot?: boolean; timeoutMs?: number } = {}) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroupTree(join(dir, entry.name), { timeoutMs: opts.timeoutMs });
  }
  if (opts.keepRoot) return;
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The directories of a cgroup path (e.g. `/dockyard-labs/<id>`) in every mounted hierarchy of the host. */
export function cgroupDirsUnder(path: string): string[] {
  const dirs = readMountinfo(process.pid)
    .filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')
    .map((m) => join(m.target, path));
  return [...new Set(dirs)].filter((dir) => existsSync(dir));
}
