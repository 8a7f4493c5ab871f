import type { Engine } from '../engine.js';
import { cleanupContainer } from './cleanup.js';
import { effectiveState, isLive, waitForExit } from './status.js';

/** docker stop: the stop signal, then SIGKILL after the timeout (default 10 s). */
export async function stopContainer(
  engine: Engine,
  ref: string,
  o: { time?: number; signal?: string } = {},
): Promise<void> {
  const found = await engine.containers.get(ref);
  const rec = await engine.containers.update(found.id, (r) => {
    r.state.manuallyStopped = true;
    // A pending restart is cancelled by a stop.
    if (r.state.status === 'restarting') r.state.status = 'exited';
  });
  const state = await effectiveState(engine, rec);
  if (isLive(state)) {
    if (state.status === 'paused') await engine.runtime.exec(['resume', rec.id]);
    const timeout = o.time ?? rec.config.stopTimeout;
    await engine.runtime.exec(['kill', rec.id, o.signal ?? rec.config.stopSignal]);
    if (!(await waitForExit(engine, rec, timeout * 1000))) {
      await engine.runtime.exec(['kill', '--all', rec.id, 'KILL']);
      await waitForExit(engine, rec, 10_000);
    }
  }
  await cleanupContainer(engine, rec.id);
}
