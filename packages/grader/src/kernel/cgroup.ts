import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMountinfo } from './mountinfo.js';
import { readProcessCgroups } from './proc.js';

/**
 * cgroup limits normalized across v1, v2 and hybrid hosts. Each controller is read from the hierarchy
 * that actually holds it, so the same check works whichever layout the host uses.
 */

export interface CgroupLimits {
  /** bytes; null = unlimited */
  memory: number | null;
  /** memory + swap in bytes, Docker's --memory-swap meaning; null = unlimited or not accounted */
  memorySwap: number | null;
  pids: number | null;
  /** quota / period, e.g. 0.5; null = unlimited */
  cpus: number | null;
  /** v1 cpu.shares, or v2 cpu.weight converted back to shares */
  cpuShares: number | null;
}

interface Hierarchy {
  version: 1 | 2;
  mountPoint: string;
  controllers: string[];
}

const UNLIMITED_V1 = 2 ** 62; // v1 reports "no limit" as a page-rounded LONG_MAX

function hostHierarchies(): Hierarchy[] {
  const result: Hierarchy[] = [];
  for (const mount of readMountinfo(process.pid)) {
    if (mount.fstype === 'cgroup') {
      const controllers = mount.superOptions.filter((o) =>
        ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'blkio', 'devices', 'hugetlb'].includes(o),
      );
      if (controllers.length > 0) result.push({ version: 1, mountPoint: mount.target, controllers });
    } else if (mount.fstype === 'cgroup2') {
      let controllers: string[] = [];
      try {
        controllers = readFileSync(join(mount.target, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      } catch {
        controllers = [];
      }
      result.push({ version: 2, mountPoint: mount.target, controllers });
    }
  }
  return result;
}

/** Host directory of a process's cgroup for one controller, and the hierarchy version holding it. */
export function cgroupDirFor(
  pid: number,
  controller: string,
): {
  dir: string;
  version: 1 | 2 /** the process's cgroup path inside the hierarchy */;
  path: string;
} | null {
  const membership = readProcessCgroups(pid);
  const hierarchies = hostHierarchies();
  const v1 = hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
  if (v1) {
    const key = [...membership.keys()].find((k) => k.split(',').includes(controller));
    const path = key === undefined ? undefined : membership.get(key);
    return path === undefined ? null : { dir: join(v1.mountPoint, path), version: 1, path };
  }
  // v2's freezer is part of the core (cgroup.freeze), not a listed controller.
  const v2 = hierarchies.find(
    (h) => h.version === 2 && (h.controllers.includes(controller) || controller === 'freezer'),
  );
  const path = membership.get('');
  return v2 && path !== undefined ? { dir: join(v2.mountPoint, path), version: 2, path } : null;
}

function readValue(dir: string, file: string): string | null {
  try {
    return readFileSync(join(dir, file), 'utf8').trim();
  } catch {
    return null;
  }
}

function bytesOrUnlimited(value: string | null): number | null {
  if (value === null || value === 'max') return null;
  const n = Number(value);
  return Number.isFinite(n) && n < UNLIMITED_V1 ? n : null;
}

export function readCgroupLimitsOfDir(
  dir: string,
  version: 1 | 2,
  controller: string,
): Partial<CgroupLimits> {
  if (controller === 'memory') {
    if (version === 1) {
      return {
        memory: bytesOrUnlimited(readValue(dir, 'memory.limit_in_bytes')),
        memorySwap: bytesOrUnlimited(readValue(dir, 'memory.memsw.limit_in_bytes')),
      };
    }
    const memory = bytesOrUnlimited(readValue(dir, 'memory.max'));
    const swap = bytesOrUnlimited(readValue(dir, 'memory.swap.max'));
    return { memory, memorySwap: memory !== null && swap !== null ? memory + swap : null };
  }
  if (controller === 'pids') return { pids: bytesOrUnlimited(readValue(dir, 'pids.max')) };
  if (version === 1) {
    const quota = Number(readValue(dir, 'cpu.cfs_quota_us') ?? -1);
    const period = Number(readValue(dir, 'cpu.cfs_period_us') ?? 100000);
    const shares = readValue(dir, 'cpu.shares');
    return { cpus: quota > 0 ? quota / period : null, cpuShares: shares === null ? null : Number(shares) };
  }
  const [quota, period] = (readValue(dir, 'cpu.max') ?? 'max 100000').split(/\s+/);
  const weight = readValue(dir, 'cpu.weight');
  return {
    cpus: quota === 'max' || quota === undefined ? null : Number(quota) / Number(period ?? 100000),
    // Inverse of the shares→weight mapping runc and crun use.
    cpuShares: weight === null ? null : Math.round(((Number(weight) - 1) * 262142) / 9999 + 2),
  };
}

/** All limits that apply to a process's own cgroup (not inherited from ancestors). */
export function readCgroupLimits(pid: number): CgroupLimits {
  const limits: CgroupLimits = { memory: null, memorySwap: null, pids: null, cpus: null, cpuShares: null };
  for (const controller of ['memory', 'pids', 'cpu']) {
    const location = cgroupDirFor(pid, controller);
    if (location) Object.assign(limits, readCgroupLimitsOfDir(location.dir, location.version, controller));
  }
  return limits;
}

/** "name value" lines (memory.events, memory.oom_control, cpu.stat, pids.events) as numbers by name. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** The first of several cgroupfs files that exists in dir (v2 name first, then its v1 counterpart). */
function readFirst(dir: string, files: string[]): { file: string; text: string } | null {
  for (const file of files) {
    const text = readValue(dir, file);
    if (text !== null) return { file, text };
  }
  return null;
}

/** Freezer state: v1 freezer.state (FROZEN / FREEZING / THAWED), v2 cgroup.events' "frozen 0|1". */
export function readFreezer(
  dir: string,
  version: 1 | 2,
): { file: string; shown: string; frozen: boolean } | null {
  if (version === 1) {
    const state = readValue(dir, 'freezer.state');
    return state === null ? null : { file: 'freezer.state', shown: state, frozen: state === 'FROZEN' };
  }
  const events = readValue(dir, 'cgroup.events');
  const frozen = events === null ? undefined : parseFlatKeyed(events).get('frozen');
  return frozen === undefined
    ? null
    : { file: 'cgroup.events', shown: `frozen ${frozen}`, frozen: frozen === 1 };
}

/** Highest memory use since the cgroup was made: v2 memory.peak, v1 memory.max_usage_in_bytes. */
export function readMemoryPeak(dir: string): { file: string; bytes: number } | null {
  const found = readFirst(dir, ['memory.peak', 'memory.max_usage_in_bytes']);
  const bytes = Number(found?.text);
  return found && Number.isFinite(bytes) ? { file: found.file, bytes } : null;
}

/** Processes the OOM killer has killed in the cgroup: oom_kill of v2 memory.events, v1 memory.oom_control. */
export function readOomKills(dir: string): { file: string; count: number } | null {
  const found = readFirst(dir, ['memory.events', 'memory.oom_control']);
  const count = found && parseFlatKeyed(found.text).get('oom_kill');
  return found && count !== undefined && count !== null ? { file: found.file, count } : null;
}

/** cpu.stat of the cpu controller (nr_periods, nr_throttled, …), the same names on v1 and v2. */
export function readCpuStat(dir: string): Map<string, number> | null {
  const text = readValue(dir, 'cpu.stat');
  return text === null ? null : parseFlatKeyed(text);
}

/** A size for messages in the largest unit that fits: "64MiB", "20.2MiB", "512KiB", "100B". */
export function describeSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size)
      return bytes % size === 0 ? `${bytes / size}${unit}` : `${(bytes / size).toFixed(1)}${unit}`;
  }
  return `${bytes}B`;
}

/** Parses "64MiB", "512k", "1g", "1048576" into bytes. */
export function parseSize(text: string): number {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)$/i);
  if (!match) throw new Error(`not a size: ${text}`);
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[
    (match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  return Math.round(Number(match[1]) * 1024 ** power);
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
