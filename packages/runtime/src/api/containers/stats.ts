import { promises as fs } from 'node:fs';
import os from 'node:os';
import { cgroupReader } from '../../cgroups/index.js';
import type { ContainerRecord } from '../../containers/record.js';
import { effectiveState, isLive } from '../../containers/status.js';
import type { Engine } from '../../engine.js';

const USER_HZ = 100;

/** Host CPU time in nanoseconds from /proc/stat (Docker's system_cpu_usage). */
async function systemCpuNs(): Promise<number> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((n, v) => n + Number(v), 0);
  return (ticks * 1e9) / USER_HZ;
}

/** The container's interfaces from its own network namespace, seen through its init's /proc. */
async function networks(pid: number): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  if (!pid) return out;
  const text = await fs.readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  for (const line of text.split('\n').slice(2)) {
    const [ifname, rest] = line.split(':');
    if (!ifname || rest === undefined || ifname.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    out[ifname.trim()] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

export interface CpuReading {
  cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

const emptyCpu = (): CpuReading => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  system_cpu_usage: 0,
  online_cpus: 0,
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

async function readCpu(engine: Engine, rec: ContainerRecord): Promise<CpuReading> {
  const reader = cgroupReader(engine.cgroupsPath(rec.id));
  return {
    cpu_usage: {
      total_usage: await reader.cpuUsageNs().catch(() => 0),
      usage_in_kernelmode: 0,
      usage_in_usermode: 0,
    },
    system_cpu_usage: await systemCpuNs(),
    online_cpus: os.cpus().length,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One sample in Docker's stats JSON; `pre` is the previous CPU reading (Docker's precpu_stats). */
export async function statsSample(
  engine: Engine,
  rec: ContainerRecord,
  pre: { read: string; cpu: CpuReading } | undefined,
): Promise<{ body: Record<string, unknown>; read: string; cpu: CpuReading }> {
  const s = await effectiveState(engine, rec);
  const live = isLive(s);
  const reader = cgroupReader(engine.cgroupsPath(rec.id));
  const read = new Date().toISOString();
  const cpu = live ? await readCpu(engine, rec) : emptyCpu();
  const usage = live ? await reader.memoryUsage().catch(() => 0) : 0;
  const limit = live
    ? Math.min((await reader.memoryLimit().catch(() => undefined)) ?? os.totalmem(), os.totalmem())
    : 0;
  const body = {
    read: live ? read : '0001-01-01T00:00:00Z',
    preread: pre?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: live
      ? {
          current: await reader.pids().catch(() => 0),
          ...(rec.host.pidsLimit > 0 ? { limit: rec.host.pidsLimit } : {}),
        }
      : {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: pre?.cpu ?? emptyCpu(),
    memory_stats: live ? { usage, stats: {}, limit } : {},
    name: `/${rec.name}`,
    id: rec.id,
    networks: live ? await networks(s.pid) : undefined,
  };
  return { body, read, cpu };
}
