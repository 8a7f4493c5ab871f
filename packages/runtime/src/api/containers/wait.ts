import type { ContainerRecord } from '../../containers/record.js';
import { effectiveState, isLive, sleep } from '../../containers/status.js';
import type { Engine } from '../../engine.js';
import { attachShim } from '../../shim/index.js';
import { exitObserved, hub } from './hub.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * Watches one run's exit through its shim's EXIT frame; set up synchronously so the start hook can do it
 * before the process runs. Falls back to the record and exit file when no frame arrives (shim already gone).
 */
function watchExit(engine: Engine, rec: ContainerRecord, signal: AbortSignal): Promise<number> {
  const att = attachShim(engine.containers.shimDir(rec.id), { replay: false, stdin: false });
  let code: number | undefined;
  att.onExit((e) => {
    code = e.exitCode;
    exitObserved(engine, rec, e.exitCode);
    att.close();
  });
  signal.addEventListener('abort', () => att.close(), { once: true });
  return att.closed.then(async () => {
    if (code !== undefined) return code;
    for (;;) {
      if (signal.aborted) return 0;
      const cur = await engine.containers.load(rec.id);
      if (!cur) return hub.lastExit(rec.id) ?? rec.state.exitCode;
      const s = await effectiveState(engine, cur);
      if (!isLive(s) && s.status !== 'restarting') return s.exitCode;
      await sleep(100);
    }
  });
}

/** The watch of the next run's exit, once a start happens (through this server's hook, or polled). */
async function nextRun(
  engine: Engine,
  rec: ContainerRecord,
  signal: AbortSignal,
  registered: () => void,
): Promise<{ rec: ContainerRecord; exit: Promise<number> } | undefined> {
  const generation = rec.state.generation;
  let started: { rec: ContainerRecord; exit: Promise<number> } | undefined;
  const off = hub.onNextStart(rec.id, (r) => {
    started = { rec: r, exit: watchExit(engine, r, signal) };
  });
  registered();
  try {
    while (!started && !signal.aborted) {
      await sleep(50);
      if (started) break;
      const cur = await engine.containers.load(rec.id);
      if (!cur) return { rec, exit: Promise.resolve(hub.lastExit(rec.id) ?? rec.state.exitCode) };
      if (cur.state.generation !== generation) return { rec: cur, exit: watchExit(engine, cur, signal) };
    }
    return started;
  } finally {
    off();
  }
}

/** docker wait: the exit code once the condition holds; undefined when the client went away. */
export async function waitForCondition(
  engine: Engine,
  ref: string,
  condition: WaitCondition,
  signal: AbortSignal,
  /** Called once the wait is in place (the route sends its headers then, as dockerd does). */
  registered: () => void = () => {},
): Promise<number | undefined> {
  let rec = await engine.containers.get(ref);
  const s = await effectiveState(engine, rec);
  if (condition === 'not-running' && !isLive(s) && s.status !== 'restarting') {
    registered();
    return s.exitCode;
  }
  let exit: Promise<number>;
  if (isLive(s)) {
    exit = watchExit(engine, rec, signal);
    registered();
  } else {
    const run = await nextRun(engine, rec, signal, registered);
    if (!run) return signal.aborted ? undefined : rec.state.exitCode;
    rec = run.rec;
    exit = run.exit;
  }
  const code = await exit;
  if (signal.aborted) return undefined;
  if (condition !== 'removed') return code;
  while (!signal.aborted) {
    // Woken by this server's cleanup of the container; the poll covers removals by anyone else.
    const cleanup = hub.nextCleanup(rec.id);
    if (!(await engine.containers.load(rec.id))) {
      cleanup.cancel();
      return code;
    }
    await Promise.race([sleep(200), cleanup.done]);
    cleanup.cancel();
  }
  return undefined;
}
