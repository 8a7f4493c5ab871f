import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a check is evaluated against: one lab box as the host sees it. Membership is decided by the
 * box's cgroup subtree, which processes inside the box cannot leave, rather than by anything the box shows.
 */
export interface BoxTarget {
  /** Host pid of the box's init process. */
  initPid: number;
  /** Host directory of the box's cgroup in any one hierarchy (e.g. /sys/fs/cgroup/pids/dockyard/box-1). */
  cgroupDir: string;
}

export function boxRoot(target: BoxTarget): string {
  return `/proc/${target.initPid}/root`;
}

/** Host pids of every process in the box's cgroup subtree. */
export function boxPids(target: BoxTarget): number[] {
  const pids: number[] = [];
  const walk = (dir: string) => {
    let text = '';
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      return; // removed while walking
    }
    for (const line of text.split('\n')) if (line) pids.push(Number(line));
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) walk(join(dir, name));
  };
  walk(target.cgroupDir);
  return pids;
}
