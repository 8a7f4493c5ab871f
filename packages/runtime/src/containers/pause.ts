import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { cleanRuntimeError } from './runtime.js';
import { effectiveState } from './status.js';

/** pause/unpause through the runtime (cgroup freezer). */
export async function pauseContainer(engine: Engine, ref: string, pause: boolean): Promise<void> {
  const found = await engine.containers.get(ref);
  await engine.containers.withLock(found.id, async () => {
    const rec = (await engine.containers.load(found.id)) ?? found;
    const state = await effectiveState(engine, rec);
    if (pause && state.status !== 'running') {
      throw new DockyardError(
        state.status === 'paused'
          ? `Error response from daemon: container ${rec.id} is already paused`
          : `Error response from daemon: container ${rec.id} is not running`,
      );
    }
    if (!pause && state.status !== 'paused') {
      throw new DockyardError(`Error response from daemon: container ${rec.id} is not paused`);
    }
    const r = await engine.runtime.exec([pause ? 'pause' : 'resume', rec.id]);
    if (r.code !== 0) throw new DockyardError(`Error response from daemon: ${cleanRuntimeError(r.stderr)}`);
    rec.state.status = pause ? 'paused' : 'running';
    await engine.containers.save(rec);
  });
}
