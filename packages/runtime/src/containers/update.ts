import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { buildResources } from '../oci/spec.js';
import { validateCpuShares } from './hostconfig.js';
import { parseBytes, parseCpus, parseRestart } from './options.js';
import { cleanRuntimeError } from './runtime.js';
import { effectiveState, isLive } from './status.js';

export interface UpdateOptions {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
  restart?: string;
  cpuShares?: number;
}

/** docker update: stores the new limits and, for a running container, applies them through `runtime update`. */
export async function updateContainer(engine: Engine, ref: string, o: UpdateOptions): Promise<void> {
  const found = await engine.containers.get(ref);
  await engine.containers.withLock(found.id, async () => {
    const rec = (await engine.containers.load(found.id)) ?? found;
    const next = { ...rec.host };
    if (o.memory !== undefined) next.memory = parseBytes(o.memory, '--memory');
    if (o.memorySwap !== undefined) next.memorySwap = parseBytes(o.memorySwap, '--memory-swap', true);
    if (o.cpus !== undefined) next.nanoCpus = parseCpus(o.cpus);
    if (o.pidsLimit !== undefined) next.pidsLimit = Number(o.pidsLimit);
    if (o.cpuShares !== undefined) next.cpuShares = validateCpuShares(o.cpuShares);
    if (o.restart !== undefined) {
      next.restart = parseRestart(o.restart);
      if (next.autoRemove && next.restart.name !== 'no') {
        throw new DockyardError(
          'Error response from daemon: Restart policy cannot be updated because AutoRemove is enabled for the container',
        );
      }
    }
    if (next.memorySwap > 0 && next.memorySwap < next.memory) {
      throw new DockyardError(
        'Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage.',
      );
    }
    if (isLive(await effectiveState(engine, rec))) {
      const resources = buildResources(next);
      if (o.memory !== undefined && !next.memory) resources.memory = { limit: -1, swap: -1 };
      const r = await engine.runtime.exec(['update', '--resources', '-', rec.id], JSON.stringify(resources));
      if (r.code !== 0)
        throw new DockyardError(
          `Error response from daemon: Cannot update container ${rec.id}: ${cleanRuntimeError(r.stderr)}`,
        );
    }
    rec.host = next;
    await engine.containers.save(rec);
  });
}
