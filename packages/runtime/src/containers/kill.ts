import { constants } from 'node:os';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { effectiveState, isLive } from './status.js';

/** Normalises `KILL`, `SIGKILL`, `9` to the runtime's spelling; rejects unknown names like docker. */
export function parseSignal(sig: string): string {
  if (/^\d+$/.test(sig)) return sig;
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  if (!(name in constants.signals)) throw new DockyardError(`invalid signal: ${sig}`);
  return name;
}

export async function killContainer(engine: Engine, ref: string, signal = 'KILL'): Promise<void> {
  const sig = parseSignal(signal);
  const rec = await engine.containers.get(ref);
  const state = await effectiveState(engine, rec);
  if (!isLive(state)) {
    throw new DockyardError(
      `Error response from daemon: cannot kill container: ${ref}: container ${rec.id} is not running`,
    );
  }
  if (sig === 'SIGKILL' || sig === '9' || sig === 'SIGTERM' || sig === '15') {
    await engine.containers.update(rec.id, (r) => {
      r.state.manuallyStopped = true;
    });
  }
  const r = await engine.runtime.exec(['kill', rec.id, sig]);
  if (r.code !== 0)
    throw new DockyardError(`Error response from daemon: cannot kill container: ${ref}: ${r.stderr.trim()}`);
}
