import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { effectiveState } from './status.js';

/** docker port: `80/tcp -> 0.0.0.0:8080` lines, optionally for one private port. */
export async function containerPorts(engine: Engine, ref: string, filter?: string): Promise<string[]> {
  const rec = await engine.containers.get(ref);
  const s = await effectiveState(engine, rec);
  let [port, proto] = (filter ?? '').split('/');
  proto = proto || 'tcp';
  const lines = s.ports
    .filter((p) => !port || (String(p.containerPort) === port && p.proto === proto))
    .map((p) =>
      filter ? `${p.hostIp}:${p.hostPort}` : `${p.containerPort}/${p.proto} -> ${p.hostIp}:${p.hostPort}`,
    );
  if (filter && !lines.length) {
    throw new DockyardError(`Error: No public port '${port}/${proto}' published for ${ref}`, 1);
  }
  return lines;
}
