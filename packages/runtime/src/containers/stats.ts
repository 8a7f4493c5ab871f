import { cgroupReader } from '../cgroups/index.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from './record.js';
import { sleep } from './status.js';

export interface StatsSample {
  id: string;
  name: string;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  pids: number;
}

async function hostMemory(): Promise<number> {
  const os = await import('node:os');
  return os.totalmem();
}

/** One `stats --no-stream` row: CPU % from two readings of the cgroup's CPU time, like docker. */
export async function sampleStats(
  engine: Engine,
  recs: ContainerRecord[],
  intervalMs = 500,
): Promise<StatsSample[]> {
  const os = await import('node:os');
  const readers = recs.map((r) => cgroupReader(engine.cgroupsPath(r.id)));
  const before = await Promise.all(readers.map((r) => r.cpuUsageNs()));
  const t0 = process.hrtime.bigint();
  await sleep(intervalMs);
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const total = await hostMemory();
  return Promise.all(
    recs.map(async (rec, i) => {
      const reader = readers[i] as (typeof readers)[number];
      const cpu = await reader.cpuUsageNs();
      const usage = await reader.memoryUsage();
      const limit = Math.min((await reader.memoryLimit()) ?? total, total);
      const cpuPercent = elapsedNs > 0 ? ((cpu - (before[i] ?? 0)) / elapsedNs) * 100 : 0;
      return {
        id: rec.id,
        name: rec.name,
        cpuPercent: Math.max(0, Math.min(cpuPercent, 100 * os.cpus().length)),
        memUsage: usage,
        memLimit: limit,
        memPercent: limit ? (usage / limit) * 100 : 0,
        pids: await reader.pids(),
      };
    }),
  );
}
