import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { allSettledOrThrow } from '../util/all-settled.js';
import { cleanupLocked } from './cleanup.js';
import { teardownNetworking } from './networking.js';
import type { ContainerRecord } from './record.js';
import { unmountRootfs } from './rootfs.js';
import { effectiveState, isLive, waitForExit } from './status.js';

export async function removeContainer(
  engine: Engine,
  ref: string,
  o: { force?: boolean; volumes?: boolean } = {},
): Promise<string> {
  const found = await engine.containers.get(ref);
  await engine.containers.withLock(found.id, async () => {
    const rec = await engine.containers.load(found.id);
    if (!rec) return;
    const state = await effectiveState(engine, rec);
    if (isLive(state)) {
      if (!o.force) {
        throw new DockyardError(
          `Error response from daemon: cannot remove container "/${rec.name}": container is ${state.status}: stop the container before removing or force remove`,
        );
      }
      if (state.status === 'paused') await engine.runtime.exec(['resume', rec.id]);
      await engine.runtime.exec(['kill', '--all', rec.id, 'KILL']);
      await waitForExit(engine, rec, 10_000);
    }
    rec.state.manuallyStopped = true;
    await cleanupLocked(engine, rec, { applyPolicy: false });
    await removeLocked(engine, rec, { volumes: !!o.volumes });
  });
  return ref;
}

/** Deletes everything of a stopped container; the caller holds its lock. */
export async function removeLocked(
  engine: Engine,
  rec: ContainerRecord,
  o: { volumes: boolean },
): Promise<void> {
  rec.state.status = 'removing';
  await engine.containers.save(rec, { durable: false });
  // Usually all done by the exit cleanup already; each step is idempotent and they are independent.
  await allSettledOrThrow([
    engine.runtime
      .hasState(rec.id)
      .then((has) => (has ? engine.runtime.exec(['delete', '--force', rec.id]) : undefined)),
    teardownNetworking(engine, rec).catch(() => {}),
    unmountRootfs(engine.containers.dir(rec.id)),
  ]);
  await engine.containers.removeFiles(rec.id);
  if (o.volumes) {
    for (const m of rec.host.mounts) {
      if (m.type !== 'volume' || !m.name) continue;
      const v = await engine.volumes.get(m.name);
      if (v?.Anonymous) await engine.volumes.remove(m.name).catch(() => {});
    }
  }
}
