import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { run } from '../util/exec.js';
import { effectiveState, isLive } from './status.js';

/** docker top: the host's `ps` output restricted to the container's pids (from the runtime). */
export async function topContainer(
  engine: Engine,
  ref: string,
  psArgs: string[],
): Promise<{ titles: string[]; processes: string[][] }> {
  const rec = await engine.containers.get(ref);
  const s = await effectiveState(engine, rec);
  if (!isLive(s)) throw new DockyardError(`Error response from daemon: container ${rec.id} is not running`);
  const pids = new Set(await engine.runtime.pids(rec.id));
  const r = await run('ps', psArgs.length ? psArgs : ['-ef']);
  if (r.code !== 0) throw new DockyardError(`Error response from daemon: ps: ${r.stderr.trim()}`);
  const [header = '', ...rows] = r.stdout.split('\n').filter(Boolean);
  const titles = header.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol === -1)
    throw new DockyardError(`Error response from daemon: Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const row of rows) {
    const fields = row.trim().split(/\s+/);
    if (!pids.has(Number(fields[pidCol]))) continue;
    // The last column (CMD/COMMAND) may contain spaces.
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { titles, processes };
}
