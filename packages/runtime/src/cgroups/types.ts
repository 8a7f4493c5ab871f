/** Reads one container's cgroup counters; cgroup v1 and v2 implement it over their own file layouts. */
export interface CgroupReader {
  readonly version: 1 | 2;
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageNs(): Promise<number>;
  memoryUsage(): Promise<number>;
  /** Bytes, or undefined when unlimited. */
  memoryLimit(): Promise<number | undefined>;
  pids(): Promise<number>;
  /** How many processes the kernel OOM-killed in this cgroup. */
  oomKills(): Promise<number>;
  /** The pids in the cgroup (cgroup.procs). */
  procs(): Promise<number[]>;
}

export async function readNumber(file: string): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const text = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!text || text === 'max') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export async function readKeyed(file: string): Promise<Map<string, number>> {
  const { readFile } = await import('node:fs/promises');
  const map = new Map<string, number>();
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) map.set(k, Number(v));
  }
  return map;
}
