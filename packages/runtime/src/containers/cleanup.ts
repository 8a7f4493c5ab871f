import { cgroupReader } from '../cgroups/index.js';
import type { Engine } from '../engine.js';
import { containerEvent } from '../events.js';
import { teardownNetworking } from './networking.js';
import type { ContainerRecord } from './record.js';
import { removeLocked } from './rm.js';
import { unmountRootfs } from './rootfs.js';
import { startLocked } from './start.js';
import { pidAlive, readExitFile, sleep } from './status.js';

type Next =
  | { action: 'none' }
  | { action: 'remove' }
  | { action: 'restart'; delayMs: number; generation: number };

/**
 * Runs when a container's process has exited (dyshim's --exit-command, or any verb that notices first):
 * records the exit, deletes it in the runtime, tears down networking, unmounts, then applies --rm / restart policy.
 * Idempotent and safe to run concurrently (per-container lock; `generation` skips a stale run's cleanup).
 */
export async function cleanupContainer(engine: Engine, id: string, generation?: number): Promise<void> {
  const next = await engine.containers
    .withLock(id, async (): Promise<Next> => {
      const rec = await engine.containers.load(id);
      if (!rec) return { action: 'none' };
      if (generation !== undefined && rec.state.generation !== generation) return { action: 'none' };
      const next = await cleanupLocked(engine, rec, { applyPolicy: true });
      if (next.action !== 'remove') return next;
      // --rm: removed under the same lock, so nothing can start it in between.
      await removeLocked(engine, rec, { volumes: true });
      await containerEvent(engine, rec, 'destroy');
      return { action: 'none' };
    })
    .catch(() => ({ action: 'none' }) as Next);
  if (next.action === 'restart') {
    await sleep(next.delayMs);
    await engine.containers.withLock(id, async () => {
      const rec = await engine.containers.load(id);
      // Stopped, removed or started by the user meanwhile.
      if (rec?.state.status !== 'restarting' || rec.state.generation !== next.generation) return;
      rec.state.restartCount += 1;
      await startLocked(engine, rec).catch(() => {});
    });
  }
}

export async function cleanupLocked(
  engine: Engine,
  rec: ContainerRecord,
  o: { applyPolicy: boolean },
): Promise<Next> {
  const s = rec.state;
  if (s.status !== 'running' && s.status !== 'paused') return { action: 'none' };
  const shimDir = engine.containers.shimDir(rec.id);
  const exit = await readExitFile(shimDir);
  if (!exit && pidAlive(s.pid)) return { action: 'none' };
  const oomKills = await cgroupReader(engine.cgroupsPath(rec.id))
    .oomKills()
    .catch(() => 0);
  if (oomKills > 0 && !s.oomKilled) {
    // Recorded before `delete` removes the cgroup, so readers in between still see it.
    s.oomKilled = true;
    await engine.containers.save(rec);
  }
  // The process is gone: its runtime state, network and rootfs come down independently, side by side.
  await Promise.all([
    engine.runtime.exec(['delete', '--force', rec.id]),
    teardownNetworking(engine, rec).catch(() => {}),
    unmountRootfs(engine.containers.dir(rec.id)).catch(() => {}),
  ]);
  const finishedAt = exit?.finishedAt ?? new Date().toISOString();
  const ranMs = Date.parse(finishedAt) - Date.parse(s.startedAt);
  rec.state = {
    ...s,
    status: 'exited',
    pid: 0,
    shimPid: 0,
    exitCode: exit?.exitCode ?? 255,
    oomKilled: !!exit?.oomKilled || s.oomKilled,
    finishedAt,
  };
  let next: Next = { action: 'none' };
  if (o.applyPolicy) {
    if (rec.host.autoRemove) next = { action: 'remove' };
    else if (shouldRestart(rec)) {
      // docker: 100 ms doubling up to a minute; a run of 10 s or more resets the backoff.
      const step = ranMs >= 10_000 ? 0 : rec.state.restartCount;
      const delayMs = Math.min(100 * 2 ** step, 60_000);
      rec.state.status = 'restarting';
      next = { action: 'restart', delayMs, generation: rec.state.generation };
    }
  }
  // An --rm container's record is deleted right after.
  await engine.containers.save(rec, { durable: next.action !== 'remove' });
  // Only now: until the record says exited, readers take the exit code from the shim's exit file.
  await engine.containers.clearRunState(rec.id).catch(() => {});
  if (rec.state.oomKilled) await containerEvent(engine, rec, 'oom');
  await containerEvent(engine, rec, 'die', { exitCode: String(rec.state.exitCode) });
  return next;
}

function shouldRestart(rec: ContainerRecord): boolean {
  const p = rec.host.restart;
  if (rec.state.manuallyStopped) return false;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return (
        rec.state.exitCode !== 0 &&
        (p.maximumRetryCount === 0 || rec.state.restartCount < p.maximumRetryCount)
      );
    default:
      return false;
  }
}
