import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CgroupReader, readKeyed, readNumber } from './types.js';

const ROOT = '/sys/fs/cgroup';
// The kernel reports "no limit" on v1 as a page-aligned LONG_MAX.
const V1_UNLIMITED = 0x7ffffffffffff000;

/** cgroup v1: one hierarchy per controller (memory, cpuacct, pids), same relative path in each. */
export class CgroupV1Reader implements CgroupReader {
  readonly version = 1 as const;
  constructor(private readonly relPath: string) {}

  private file(controller: string, name: string): string {
    return path.join(ROOT, controller, this.relPath, name);
  }
  async cpuUsageNs(): Promise<number> {
    return (
      (await readNumber(this.file('cpuacct', 'cpuacct.usage'))) ??
      (await readNumber(this.file('cpu,cpuacct', 'cpuacct.usage'))) ??
      0
    );
  }
  async memoryUsage(): Promise<number> {
    const usage = (await readNumber(this.file('memory', 'memory.usage_in_bytes'))) ?? 0;
    // docker subtracts the page cache (total_inactive_file) from usage.
    const stat = await readKeyed(this.file('memory', 'memory.stat'));
    return Math.max(0, usage - (stat.get('total_inactive_file') ?? 0));
  }
  async memoryLimit(): Promise<number | undefined> {
    const n = await readNumber(this.file('memory', 'memory.limit_in_bytes'));
    return n === undefined || n >= V1_UNLIMITED ? undefined : n;
  }
  async pids(): Promise<number> {
    return (await readNumber(this.file('pids', 'pids.current'))) ?? (await this.procs()).length;
  }
  async oomKills(): Promise<number> {
    return (await readKeyed(this.file('memory', 'memory.oom_control'))).get('oom_kill') ?? 0;
  }
  async procs(): Promise<number[]> {
    const text = await readFile(this.file('pids', 'cgroup.procs'), 'utf8').catch(() =>
      readFile(this.file('memory', 'cgroup.procs'), 'utf8').catch(() => ''),
    );
    return text.split('\n').filter(Boolean).map(Number);
  }
}
