import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cgroupReader } from '../cgroups/index.js';
import type { Engine } from '../engine.js';
import { readShimPid } from '../shim/exit.js';
import { readJson } from '../state/files.js';
import type { ContainerRecord } from './record.js';

export const ExitFileSchema = z.object({
  exitCode: z.number().int(),
  signal: z.number().int().nullable().optional(),
  oomKilled: z.boolean().optional(),
  finishedAt: z.string().optional(),
});
export type ExitFile = z.infer<typeof ExitFileSchema>;

export function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readExitFile(stateDir: string): Promise<ExitFile | undefined> {
  return readJson(path.join(stateDir, 'exit'), ExitFileSchema).catch(() => undefined);
}

/**
 * The record says what the engine last did; the shim's exit file and the kernel say what happened since
 * (the exit cleanup may not have run yet). This merges both without writing anything.
 */
export async function effectiveState(
  engine: Engine,
  rec: ContainerRecord,
): Promise<ContainerRecord['state']> {
  const s = rec.state;
  if (s.status !== 'running' && s.status !== 'paused') return s;
  const exit = await readExitFile(engine.containers.shimDir(rec.id));
  if (exit) {
    // The exit cleanup (which records OOM kills) may not have run yet: ask the cgroup, still there until then.
    const oom =
      exit.oomKilled ||
      s.oomKilled ||
      (await cgroupReader(engine.cgroupsPath(rec.id))
        .oomKills()
        .catch(() => 0)) > 0;
    return {
      ...s,
      status: 'exited',
      pid: 0,
      exitCode: exit.exitCode,
      oomKilled: oom,
      finishedAt: exit.finishedAt ?? s.finishedAt,
    };
  }
  if (!pidAlive(s.pid)) {
    // The process is gone; its shim (which reaps it) writes the exit file a moment later. While the shim is
    // alive, wait for that record rather than report a made-up 255.
    const shimDir = engine.containers.shimDir(rec.id);
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && pidAlive((await readShimPid(shimDir).catch(() => null)) ?? 0)) {
      await new Promise((r) => setTimeout(r, 20));
      if (await readExitFile(shimDir)) return effectiveState(engine, rec);
    }
    if (await readExitFile(shimDir)) return effectiveState(engine, rec);
    return { ...s, status: 'exited', pid: 0, exitCode: 255 };
  }
  return s;
}

export const isLive = (s: ContainerRecord['state']) => s.status === 'running' || s.status === 'paused';

/** Resolves once the container's current process has exited (exit file written or pid gone). */
export async function waitForExit(
  engine: Engine,
  rec: ContainerRecord,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const exitFile = path.join(engine.containers.shimDir(rec.id), 'exit');
  let delay = 10;
  while (Date.now() < deadline) {
    if (
      await fs.access(exitFile).then(
        () => true,
        () => false,
      )
    )
      return true;
    if (rec.state.pid && !pidAlive(rec.state.pid) && !pidAlive(rec.state.shimPid)) return true;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
  return false;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
