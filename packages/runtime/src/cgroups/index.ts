import { existsSync } from 'node:fs';
import type { CgroupReader } from './types.js';
import { CgroupV1Reader } from './v1.js';
import { CgroupV2Reader } from './v2.js';

export type { CgroupReader } from './types.js';

/**
 * Picks the reader for this host: pure v2 when /sys/fs/cgroup is itself cgroup2; otherwise v1 with the memory
 * controller in its own hierarchy (hybrid hosts keep v2 at /sys/fs/cgroup/unified, but limits live in v1).
 */
export function cgroupReader(cgroupsPath: string): CgroupReader {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return new CgroupV2Reader('/sys/fs/cgroup', cgroupsPath);
  if (existsSync('/sys/fs/cgroup/memory')) return new CgroupV1Reader(cgroupsPath);
  return new CgroupV2Reader('/sys/fs/cgroup/unified', cgroupsPath);
}
