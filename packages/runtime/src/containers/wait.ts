import type { Engine } from '../engine.js';
import { effectiveState, isLive, sleep } from './status.js';

/** docker wait: blocks until the container is not running, returns its exit code. */
export async function waitContainer(engine: Engine, ref: string): Promise<number> {
  const { id } = await engine.containers.get(ref);
  let delay = 20;
  for (;;) {
    const rec = await engine.containers.load(id);
    if (!rec) return 0;
    const s = await effectiveState(engine, rec);
    if (!isLive(s) && s.status !== 'restarting') return s.exitCode;
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}
