import { statusText } from '../../cli/container-commands.js';
import { HEALTH_FILTER_VALUES, healthFilterValue } from '../../containers/healthcheck.js';
import { mountPoints } from '../../containers/inspect.js';
import type { ContainerRecord } from '../../containers/record.js';
import { effectiveState, isLive } from '../../containers/status.js';
import type { Engine } from '../../engine.js';
import { ApiError } from '../http.js';

const KNOWN_FILTERS = new Set([
  'status',
  'name',
  'label',
  'id',
  'ancestor',
  'exited',
  'network',
  'volume',
  'health',
]);

/** GET /containers/json in Docker's summary shape, with its filters (OR within a key, AND across keys). */
export async function listContainers(
  engine: Engine,
  o: { all: boolean; limit?: number; filters: Record<string, string[]> },
): Promise<Record<string, unknown>[]> {
  for (const k of Object.keys(o.filters))
    if (!KNOWN_FILTERS.has(k)) throw new ApiError(400, `invalid filter '${k}'`);
  for (const v of o.filters.health ?? [])
    if (!HEALTH_FILTER_VALUES.has(v)) throw new ApiError(400, `Unrecognised filter value for health: ${v}`);
  const recs = await engine.containers.list();
  recs.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  const out: Record<string, unknown>[] = [];
  const f = o.filters;
  const showAll = o.all || (o.limit !== undefined && o.limit > 0) || !!f.status?.length || !!f.exited?.length;
  for (const r of recs) {
    // Docker filters first, then keeps the newest `limit`.
    if (o.limit !== undefined && o.limit > 0 && out.length >= o.limit) break;
    const s = await effectiveState(engine, r);
    if (!showAll && !isLive(s) && s.status !== 'restarting') continue;
    if (!matches(r, s, f)) continue;
    out.push(summary(r, s));
  }
  return out;
}

function matches(r: ContainerRecord, s: ContainerRecord['state'], f: Record<string, string[]>): boolean {
  const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || (f[k] ?? []).some(test);
  // Several labels narrow the list (compose selects a service by project AND service label).
  const every = (k: string, test: (v: string) => boolean) => (f[k] ?? []).every(test);
  return (
    any('status', (v) => s.status === v) &&
    any('exited', (v) => s.status === 'exited' && String(s.exitCode) === v) &&
    any('health', (v) => healthFilterValue(s.health) === v) &&
    any('id', (v) => r.id.startsWith(v)) &&
    any('name', (v) => {
      try {
        return new RegExp(v.replace(/^\//, '')).test(r.name);
      } catch {
        return r.name.includes(v);
      }
    }) &&
    any(
      'ancestor',
      (v) =>
        r.image === v ||
        r.image === `${v}:latest` ||
        r.imageId === v ||
        r.imageId.replace('sha256:', '').startsWith(v.replace('sha256:', '')),
    ) &&
    every('label', (v) => {
      const eq = v.indexOf('=');
      if (eq === -1) return v in r.config.labels;
      return r.config.labels[v.slice(0, eq)] === v.slice(eq + 1);
    }) &&
    any('network', (v) => r.host.networkMode === v || v in r.networks) &&
    any('volume', (v) => r.host.mounts.some((m) => m.name === v || m.destination === v))
  );
}

function summary(r: ContainerRecord, s: ContainerRecord['state']): Record<string, unknown> {
  const ports: Record<string, unknown>[] = s.ports.map((p) => ({
    IP: p.hostIp,
    PrivatePort: p.containerPort,
    PublicPort: p.hostPort,
    Type: p.proto,
  }));
  for (const e of r.config.exposedPorts) {
    const [num, proto = 'tcp'] = e.split('/');
    if (!s.ports.some((p) => String(p.containerPort) === num && p.proto === proto))
      ports.push({ PrivatePort: Number(num), Type: proto });
  }
  const networks: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(r.networks)) {
    networks[name] = {
      NetworkID: a.networkId,
      EndpointID: '',
      Gateway: a.gateway,
      IPAddress: a.ip,
      IPPrefixLen: a.prefixLen,
      MacAddress: a.mac,
      Aliases: a.aliases,
    };
  }
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.image,
    ImageID: r.imageId,
    Command: [...(r.config.entrypoint ?? []), ...(r.config.cmd ?? [])].join(' '),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: ports,
    Labels: r.config.labels,
    State: s.status,
    Status: statusText(s),
    HostConfig: { NetworkMode: r.host.networkMode },
    NetworkSettings: { Networks: networks },
    Mounts: mountPoints(r),
  };
}
