import { existsSync } from 'node:fs';
import { z } from 'zod';
import { containerNetns } from '../../containers/networking.js';
import type { ContainerRecord } from '../../containers/record.js';
import { effectiveState } from '../../containers/status.js';
import type { Engine } from '../../engine.js';
import { recordEvent } from '../../events.js';
import { NetworkError, type NetworkRecord } from '../../networks/index.js';
import { BRIDGE_NAME_OPTION, networkRecordSchema } from '../../networks/types.js';
import { type ApiContext, ApiError, type Route, readJson, sendEmpty, sendJson } from '../http.js';
import { filterBool, knownFilters, matchesLabels, untilMillis } from './filters.js';

const PREDEFINED = new Set(['bridge', 'host', 'none']);

/** docker-py and compose send `null` for fields they leave unset. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const stringMap = z.record(z.string(), z.string());

const createBody = z.object({
  Name: z.string().min(1),
  CheckDuplicate: opt(z.boolean()),
  Driver: opt(z.string()),
  Scope: opt(z.string()),
  Internal: opt(z.boolean()),
  Attachable: opt(z.boolean()),
  Ingress: opt(z.boolean()),
  EnableIPv6: opt(z.boolean()),
  IPAM: opt(
    z.object({
      Driver: opt(z.string()),
      Config: opt(
        z.array(
          z.object({
            Subnet: opt(z.string()),
            IPRange: opt(z.string()),
            Gateway: opt(z.string()),
            AuxiliaryAddresses: opt(stringMap),
          }),
        ),
      ),
      Options: opt(stringMap),
    }),
  ),
  Options: opt(stringMap),
  Labels: opt(stringMap),
});

const connectBody = z.object({
  Container: z.string().min(1),
  EndpointConfig: opt(
    z.object({
      Aliases: opt(z.array(z.string())),
      IPAMConfig: opt(
        z.object({
          IPv4Address: opt(z.string()),
          IPv6Address: opt(z.string()),
          LinkLocalIPs: opt(z.array(z.string())),
        }),
      ),
      Links: opt(z.array(z.string())),
    }),
  ),
});

const disconnectBody = z.object({ Container: z.string().min(1), Force: opt(z.boolean()) });

/** NetworkError carries Docker's status for each failure; everything else goes to the server's mapping. */
async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof NetworkError) throw new ApiError(error.status, error.message);
    throw error;
  }
}

async function manager(engine: Engine) {
  const nets = await engine.networks();
  if (!nets.available) throw new ApiError(501, 'networking is not available in this build');
  return nets;
}

async function record(engine: Engine, ref: string): Promise<NetworkRecord> {
  const nets = await manager(engine);
  const found = await nets.inspect(ref).catch(async (error: unknown) => {
    // The default bridge is made on first use; a client may ask for it before any container ran.
    if (!(error instanceof NetworkError) || error.code !== 'not_found') throw error;
    await nets.ensureDefaultBridge();
    return translated(() => nets.inspect(ref));
  });
  return networkRecordSchema.parse(found);
}

async function allNetworks(engine: Engine): Promise<NetworkRecord[]> {
  const nets = await manager(engine);
  await nets.ensureDefaultBridge().catch(() => {});
  return z.array(networkRecordSchema).parse(await nets.list());
}

/**
 * Docker's shape. A user network's bridge device name is ours to pick and Docker does not list it among the
 * options (compose compares them with the file's driver_opts and would recreate the network); the default
 * bridge shows it, as docker0's does.
 */
function network(n: NetworkRecord) {
  const options = { ...n.Options };
  if (n.Name !== 'bridge') delete options[BRIDGE_NAME_OPTION];
  return { ...n, Options: options, ConfigFrom: { Network: '' } };
}

async function event(
  ctx: ApiContext,
  action: string,
  n: Pick<NetworkRecord, 'Id' | 'Name' | 'Driver'>,
  extra: Record<string, string> = {},
) {
  await recordEvent(ctx.engine.cfg, {
    Type: 'network',
    Action: action,
    Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, ...extra } },
  });
}

const LIST_FILTERS = ['name', 'id', 'label', 'driver', 'type', 'scope', 'dangling'] as const;

async function list(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, LIST_FILTERS);
  let nets = await allNetworks(ctx.engine);
  const any = (key: string, test: (v: string) => boolean) => {
    const values = f[key];
    return !values || values.some(test);
  };
  nets = nets.filter(
    (n) =>
      any('name', (v) => n.Name.includes(v)) &&
      any('id', (v) => n.Id.startsWith(v)) &&
      any('driver', (v) => n.Driver === v) &&
      any('scope', (v) => v === 'local') &&
      any('type', (v) => {
        if (v !== 'custom' && v !== 'builtin') throw new ApiError(400, `invalid filter: 'type'='${v}'`);
        return (v === 'builtin') === PREDEFINED.has(n.Name);
      }) &&
      matchesLabels(n.Labels, f.label),
  );
  const dangling = f.dangling;
  if (dangling) {
    const want = filterBool(dangling, 'dangling');
    nets = nets.filter((n) => (!PREDEFINED.has(n.Name) && Object.keys(n.Containers).length === 0) === want);
  }
  // Like Docker since API 1.28: the list does not carry each network's containers.
  sendJson(
    ctx,
    200,
    nets.map((n) => ({ ...network(n), Containers: {} })),
  );
}

async function inspect(ctx: ApiContext): Promise<void> {
  sendJson(ctx, 200, network(await record(ctx.engine, ctx.params.id ?? '')));
}

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJson(ctx, createBody);
  const driver = body.Driver || 'bridge';
  if (driver === 'host' || driver === 'null') {
    throw new ApiError(403, `only one instance of "${driver}" network is allowed`);
  }
  if (driver !== 'bridge') throw new ApiError(404, `plugin "${driver}" not found`);
  if (body.EnableIPv6) throw new ApiError(400, 'IPv6 networks are not supported by this engine');
  if (body.Ingress) throw new ApiError(400, 'ingress networks are a swarm feature');
  const unsupported = Object.keys(body.Options ?? {});
  if (unsupported.length) {
    throw new ApiError(400, `network driver option ${unsupported[0]} is not supported by this engine`);
  }
  if (body.IPAM?.Driver && body.IPAM.Driver !== 'default') {
    throw new ApiError(404, `plugin "${body.IPAM.Driver}" not found`);
  }
  const pools = body.IPAM?.Config ?? [];
  if (pools.length > 1) throw new ApiError(400, 'only one IPAM pool per network is supported');
  const pool = pools[0];
  if (pool?.IPRange || Object.keys(pool?.AuxiliaryAddresses ?? {}).length) {
    throw new ApiError(400, 'IPAM IPRange and AuxiliaryAddresses are not supported by this engine');
  }
  const nets = await manager(ctx.engine);
  const rec = await translated(() =>
    nets.create({
      name: body.Name,
      subnet: pool?.Subnet,
      gateway: pool?.Gateway,
      internal: body.Internal ?? false,
      labels: body.Labels ?? {},
    }),
  );
  await event(ctx, 'create', networkRecordSchema.parse(rec));
  sendJson(ctx, 201, { Id: rec.Id, Warning: '' });
}

async function remove(ctx: ApiContext): Promise<void> {
  const rec = await record(ctx.engine, ctx.params.id ?? '');
  const nets = await manager(ctx.engine);
  await translated(() => nets.remove(rec.Id));
  await event(ctx, 'destroy', rec);
  sendEmpty(ctx, 204);
}

const live = (status: string) => status === 'running' || status === 'paused';

/** Which network a container's network mode names: user networks by name, id or id prefix. */
async function modeNetworkId(engine: Engine, mode: string): Promise<string | undefined> {
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return undefined;
  const nets = await manager(engine);
  return (await nets.inspect(mode).catch(() => undefined))?.Id;
}

function refuseSharedNamespace(rec: ContainerRecord): void {
  const mode = rec.host.networkMode;
  if (mode === 'host') {
    throw new ApiError(
      400,
      'container cannot be disconnected from host network or connected to host network',
    );
  }
  if (mode.startsWith('container:')) {
    throw new ApiError(
      400,
      'container sharing network namespace with another container or host cannot be connected to any other network',
    );
  }
}

/**
 * A running container is plugged in now (the path `dockyard network connect` takes); one that is not running
 * keeps the endpoint config (aliases, address) and joins at its next start, as with Docker.
 */
async function connect(ctx: ApiContext): Promise<void> {
  const body = await readJson(ctx, connectBody);
  const engine = ctx.engine;
  const net = await record(engine, ctx.params.id ?? '');
  if (net.Driver !== 'bridge') {
    throw new ApiError(
      400,
      `container cannot be connected to the ${net.Name} network: use it as the network mode`,
    );
  }
  const rec = await engine.containers.get(body.Container);
  refuseSharedNamespace(rec);
  const endpoint = body.EndpointConfig;
  const aliases = endpoint?.Aliases ?? [];
  const ip = endpoint?.IPAMConfig?.IPv4Address || undefined;
  const state = await effectiveState(engine, rec);
  if (!live(state.status)) {
    const modeId = await modeNetworkId(engine, rec.host.networkMode);
    await engine.containers.update(rec.id, (r) => {
      const configs = r.endpointConfigs ?? {};
      let key = net.Name;
      if (r.host.networkMode === 'none' && Object.keys(configs).length === 0) r.host.networkMode = net.Name;
      else if (modeId === net.Id) key = r.host.networkMode;
      const prev = configs[key];
      configs[key] = { aliases: [...new Set([...(prev?.aliases ?? []), ...aliases])], ip: ip ?? prev?.ip };
      r.endpointConfigs = configs;
    });
    await event(ctx, 'connect', net, { container: rec.id });
    sendEmpty(ctx, 200);
    return;
  }
  const ns = containerNetns(engine, rec);
  if (!existsSync(ns)) {
    throw new ApiError(
      400,
      `container ${rec.id} does not have its own network namespace (network mode ${rec.host.networkMode})`,
    );
  }
  const nets = await manager(engine);
  const att = await translated(() =>
    nets.connect(
      {
        containerId: rec.id,
        name: rec.name,
        netnsPath: ns,
        aliases: [...new Set([rec.name, rec.id.slice(0, 12), ...aliases])],
        ip,
      },
      net.Id,
    ),
  );
  await engine.containers.update(rec.id, (r) => {
    r.networks[att.network] = att;
    // Kept for the next start too, like Docker's endpoint settings.
    r.endpointConfigs = { ...r.endpointConfigs, [att.network]: { aliases, ip } };
  });
  await event(ctx, 'connect', net, { container: rec.id });
  sendEmpty(ctx, 200);
}

async function disconnect(ctx: ApiContext): Promise<void> {
  const body = await readJson(ctx, disconnectBody);
  const engine = ctx.engine;
  const net = await record(engine, ctx.params.id ?? '');
  const nets = await manager(engine);
  const rec = await engine.containers.find(body.Container);
  if (!rec) {
    // Force removes an endpoint whose container is already gone, as Docker does.
    if (!body.Force) throw new ApiError(404, `No such container: ${body.Container}`);
    await translated(() => nets.disconnect(body.Container, net.Id));
    await event(ctx, 'disconnect', net, { container: body.Container });
    sendEmpty(ctx, 200);
    return;
  }
  refuseSharedNamespace(rec);
  const modeId = await modeNetworkId(engine, rec.host.networkMode);
  const configured = Object.keys(rec.endpointConfigs ?? {}).filter(
    (k) => k === net.Name || k === net.Id || (k === rec.host.networkMode && modeId === net.Id),
  );
  const attached = Object.values(rec.networks).some((a) => a.networkId === net.Id);
  if (!attached && !configured.length && modeId !== net.Id && !body.Force) {
    throw new ApiError(404, `container ${rec.id} is not connected to network ${net.Name}`);
  }
  if (attached) {
    await translated(() => nets.disconnect(rec.id, net.Id, containerNetns(engine, rec))).catch(
      (error: unknown) => {
        if (!body.Force) throw error;
      },
    );
  }
  await engine.containers.update(rec.id, (r) => {
    for (const [key, a] of Object.entries(r.networks)) if (a.networkId === net.Id) delete r.networks[key];
    const configs = { ...r.endpointConfigs };
    for (const k of configured) delete configs[k];
    // Leaving the network it was created on: the next start uses another configured network, or none.
    if (modeId === net.Id) r.host.networkMode = Object.keys(configs)[0] ?? 'none';
    r.endpointConfigs = configs;
  });
  await event(ctx, 'disconnect', net, { container: rec.id });
  sendEmpty(ctx, 200);
}

async function prune(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, ['until', 'label', 'label!']);
  const until = untilMillis(f.until);
  const unlabelled = f['label!'];
  const nets = await manager(ctx.engine);
  const deleted: string[] = [];
  for (const n of await allNetworks(ctx.engine)) {
    if (PREDEFINED.has(n.Name) || Object.keys(n.Containers).length > 0) continue;
    if (until !== undefined && Date.parse(n.Created) >= until) continue;
    if (!matchesLabels(n.Labels, f.label)) continue;
    if (unlabelled?.some((l) => matchesLabels(n.Labels, [l]))) continue;
    // A container may have joined since the list: the manager refuses then, and the network stays.
    const removed = await nets.remove(n.Id).then(
      () => true,
      () => false,
    );
    if (!removed) continue;
    deleted.push(n.Name);
    await event(ctx, 'destroy', n);
  }
  sendJson(ctx, 200, { NetworksDeleted: deleted });
}

export const routes: Route[] = [
  { method: 'GET', path: '/networks', handler: list },
  { method: 'POST', path: '/networks/create', handler: create },
  { method: 'POST', path: '/networks/prune', handler: prune },
  { method: 'GET', path: '/networks/:id', handler: inspect },
  { method: 'DELETE', path: '/networks/:id', handler: remove },
  { method: 'POST', path: '/networks/:id/connect', handler: connect },
  { method: 'POST', path: '/networks/:id/disconnect', handler: disconnect },
];
