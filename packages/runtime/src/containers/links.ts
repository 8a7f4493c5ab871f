import type { Engine } from '../engine.js';
import { type HostEntry, invalidParameter, linkEnv } from './hostconfig.js';
import type { ContainerRecord } from './record.js';

export interface ResolvedLinks {
  /** `<ip> <alias> <hostname> [<name>]` lines for the linking container's /etc/hosts. */
  hosts: HostEntry[];
  /** ALIAS_PORT…, ALIAS_NAME, ALIAS_ENV_… (default bridge only, like Docker). */
  env: string[];
}

/**
 * Legacy links at start: every linked container must be running; its address on the default bridge is what
 * the hosts entry and the environment name. On a user network Docker only resolves the alias.
 */
export async function resolveLinks(engine: Engine, rec: ContainerRecord): Promise<ResolvedLinks> {
  const out: ResolvedLinks = { hosts: [], env: [] };
  const onDefaultBridge = rec.host.networkMode === 'bridge';
  for (const link of rec.host.links) {
    const child = await engine.containers.get(link.id).catch(() => {
      throw invalidParameter(`could not get container for ${link.id}: No such container: ${link.id}`);
    });
    if (!['running', 'paused'].includes(child.state.status)) {
      throw invalidParameter(
        `Cannot link to a non running container: /${child.name} AS /${rec.name}/${link.alias}`,
      );
    }
    const childNet = onDefaultBridge
      ? child.networks.bridge
      : (child.networks[rec.host.networkMode] ?? Object.values(child.networks)[0]);
    if (!childNet) {
      if (onDefaultBridge)
        throw invalidParameter(`Cannot link to /${child.name}, as it does not belong to the default network`);
      continue;
    }
    const names = [link.alias, child.config.hostname];
    if (link.alias !== child.name) names.push(child.name);
    out.hosts.push({ ip: childNet.ip, names });
    if (onDefaultBridge) {
      out.env.push(
        ...linkEnv({
          parentName: rec.name,
          alias: link.alias,
          childIp: childNet.ip,
          childEnv: child.config.env,
          exposedPorts: child.config.exposedPorts,
        }),
      );
    }
  }
  return out;
}
