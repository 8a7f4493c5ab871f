import type { Engine } from '../engine.js';
import { cleanupContainer } from './cleanup.js';
import { startContainer } from './start.js';
import { pidAlive } from './status.js';

/**
 * What a daemon does when it starts, for a daemonless engine (run at boot, or after a crash): containers whose
 * process and shim are gone get their exit recorded and cleaned up, and `always` / `unless-stopped` (and
 * pending) restarts happen, as docker does on daemon start. Returns the ids it restarted.
 */
export async function recoverContainers(engine: Engine): Promise<string[]> {
  const restarted: string[] = [];
  const nets = await engine.networks();
  await nets.reconcile().catch(() => {});
  for (const rec of await engine.containers.list()) {
    const s = rec.state;
    const wasRunning = s.status === 'running' || s.status === 'paused';
    if (wasRunning && (pidAlive(s.pid) || pidAlive(s.shimPid))) continue;
    if (wasRunning) {
      await cleanupContainer(engine, rec.id, s.generation);
      const after = await engine.containers.load(rec.id);
      if (after && after.state.status === 'running') restarted.push(rec.id);
      continue;
    }
    const policy = rec.host.restart.name;
    const pendingRestart = s.status === 'restarting';
    // An exited always/unless-stopped container the user did not stop is one whose restart was lost in a crash.
    // (Unlike dockerd at boot, a manually stopped `always` container stays stopped: recover may run at any time.)
    const lostRestart =
      s.status === 'exited' &&
      !s.manuallyStopped &&
      !s.startedAt.startsWith('0001') &&
      (policy === 'always' || policy === 'unless-stopped');
    if (pendingRestart || lostRestart) {
      await startContainer(engine, rec.id).then(
        () => restarted.push(rec.id),
        () => {},
      );
    }
  }
  return restarted;
}
