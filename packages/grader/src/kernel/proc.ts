import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Readers of /proc on the host: the kernel's own account of processes, which nothing in a box can rewrite. */

export const NAMESPACE_TYPES = ['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

export interface ProcessInfo {
  pid: number;
  /** NUL-separated argv joined with spaces. */
  cmdline: string;
  /** PIDs from the outermost to the innermost PID namespace (NSpid in /proc/<pid>/status). */
  nsPids: number[];
  uid: number;
  state: string;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // The process exited while we looked: not an error for a scan.
  }
}

export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

export function readProcess(pid: number): ProcessInfo | null {
  const status = readOrNull(`/proc/${pid}/status`);
  const cmdline = readOrNull(`/proc/${pid}/cmdline`);
  if (status === null || cmdline === null) return null;
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '';
  return {
    pid,
    cmdline: cmdline.replace(/\0+$/, '').split('\0').join(' '),
    nsPids: field('NSpid').split(/\s+/).filter(Boolean).map(Number),
    uid: Number(field('Uid').split(/\s+/)[0] ?? -1),
    state: field('State').slice(0, 1),
  };
}

/** The namespace inode of a process, e.g. 4026531836; null if the process is gone. */
export function namespaceInode(pid: number, type: NamespaceType): number | null {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/${type}`);
    const inode = link.match(/\[(\d+)\]$/)?.[1];
    return inode === undefined ? null : Number(inode);
  } catch {
    return null;
  }
}

/** cgroup membership: controller list ('' for v2) → path, from /proc/<pid>/cgroup. */
export function readProcessCgroups(pid: number): Map<string, string> {
  const text = readOrNull(`/proc/${pid}/cgroup`) ?? '';
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = line.match(/^\d+:([^:]*):(.*)$/);
    if (match) result.set(match[1] as string, match[2] as string);
  }
  return result;
}

/** Lines of /proc/<pid>/uid_map or gid_map, whitespace normalized ("0 100000 65536"). */
export function readIdMap(pid: number, file: 'uid_map' | 'gid_map' = 'uid_map'): string[] {
  return (readOrNull(`/proc/${pid}/${file}`) ?? '')
    .split('\n')
    .map((line) => line.trim().split(/\s+/).join(' '))
    .filter(Boolean);
}

/** The hostname of a process's UTS namespace, asked from inside that namespace with the host's own binary. */
export async function readHostname(pid: number): Promise<string | null> {
  try {
    const { stdout } = await run('nsenter', ['-t', String(pid), '-u', 'hostname']);
    return stdout.trim();
  } catch {
    return null;
  }
}
