import type { Engine } from '../engine.js';
import { removeContainer } from './rm.js';
import { effectiveState, isLive } from './status.js';

/** docker container prune: removes every stopped container. */
export async function pruneContainers(engine: Engine): Promise<string[]> {
  const removed: string[] = [];
  for (const rec of await engine.containers.list()) {
    const s = await effectiveState(engine, rec);
    if (isLive(s) || s.status === 'restarting') continue;
    await removeContainer(engine, rec.id).then(
      () => removed.push(rec.id),
      () => {},
    );
  }
  return removed;
}
