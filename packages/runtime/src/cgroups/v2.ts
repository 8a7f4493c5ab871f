import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CgroupReader, readKeyed, readNumber } from './types.js';

/** cgroup v2: one unified hierarchy (at /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
export class CgroupV2Reader implements CgroupReader {
  readonly version = 2 as const;
  constructor(
    private readonly mount: string,
    private readonly relPath: string,
  ) {}

  private file(name: string): string {
    return path.join(this.mount, this.relPath, name);
  }
  async cpuUsageNs(): Promise<number> {
    return ((await readKeyed(this.file('cpu.stat'))).get('usage_usec') ?? 0) * 1000;
  }
  async memoryUsage(): Promise<number> {
    const usage = (await readNumber(this.file('memory.current'))) ?? 0;
    const stat = await readKeyed(this.file('memory.stat'));
    return Math.max(0, usage - (stat.get('inactive_file') ?? 0));
  }
  async memoryLimit(): Promise<number | undefined> {
    return readNumber(this.file('memory.max'));
  }
  async pids(): Promise<number> {
    return (await readNumber(this.file('pids.current'))) ?? (await this.procs()).length;
  }
  async oomKills(): Promise<number> {
    return (await readKeyed(this.file('memory.events'))).get('oom_kill') ?? 0;
  }
  async procs(): Promise<number[]> {
    const text = await readFile(this.file('cgroup.procs'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }
}
