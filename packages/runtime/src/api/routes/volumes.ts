import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Engine } from '../../engine.js';
import { recordEvent } from '../../events.js';
import type { Volume } from '../../volumes/store.js';
import { type ApiContext, ApiError, queryBool, type Route, readJson, sendEmpty, sendJson } from '../http.js';
import { filterBool, knownFilters, matchesLabels } from './filters.js';

const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const createBody = z.object({
  Name: opt(z.string()),
  Driver: opt(z.string()),
  DriverOpts: opt(z.record(z.string(), z.string())),
  Labels: opt(z.record(z.string(), z.string())),
});

/** Options Docker's local driver knows; they mount a filesystem, which this engine's volumes never do. */
const LOCAL_DRIVER_OPTIONS = new Set(['type', 'device', 'o', 'size']);

/** Docker's volume shape (the store's `Anonymous` flag is ours). */
function volumeBody(v: Volume) {
  return {
    Name: v.Name,
    Driver: v.Driver,
    Mountpoint: v.Mountpoint,
    CreatedAt: v.CreatedAt,
    Labels: v.Labels,
    Scope: v.Scope,
    Options: v.Options,
  };
}

/** Containers (any state) that mount the volume: Docker refuses to remove it while they exist. */
async function users(engine: Engine): Promise<Map<string, string[]>> {
  const byVolume = new Map<string, string[]>();
  for (const c of await engine.containers.list()) {
    for (const m of c.host.mounts) {
      if (m.type !== 'volume' || !m.name) continue;
      byVolume.set(m.name, [...(byVolume.get(m.name) ?? []), c.id]);
    }
  }
  return byVolume;
}

async function event(ctx: ApiContext, action: string, name: string): Promise<void> {
  await recordEvent(ctx.engine.cfg, {
    Type: 'volume',
    Action: action,
    Actor: { ID: name, Attributes: { driver: 'local' } },
  });
}

async function list(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, ['name', 'label', 'dangling', 'driver']);
  let vols = await ctx.engine.volumes.list();
  if (f.name) vols = vols.filter((v) => f.name?.some((n) => v.Name.includes(n)));
  if (f.driver) vols = vols.filter((v) => f.driver?.includes(v.Driver));
  if (f.label) vols = vols.filter((v) => matchesLabels(v.Labels, f.label));
  if (f.dangling) {
    const want = filterBool(f.dangling, 'dangling');
    const used = await users(ctx.engine);
    vols = vols.filter((v) => !used.has(v.Name) === want);
  }
  sendJson(ctx, 200, { Volumes: vols.map(volumeBody), Warnings: null });
}

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJson(ctx, createBody);
  const driver = body.Driver || 'local';
  if (driver !== 'local') throw new ApiError(404, `plugin "${driver}" not found`);
  for (const key of Object.keys(body.DriverOpts ?? {})) {
    if (!LOCAL_DRIVER_OPTIONS.has(key)) throw new ApiError(400, `invalid option key: "${key}"`);
    throw new ApiError(
      400,
      `volume option "${key}" is not supported: this engine's local volumes are plain directories`,
    );
  }
  const existed = body.Name ? await ctx.engine.volumes.get(body.Name) : undefined;
  const v = await ctx.engine.volumes.create(body.Name, body.Labels ?? {});
  if (!existed) await event(ctx, 'create', v.Name);
  sendJson(ctx, 201, volumeBody(v));
}

async function inspect(ctx: ApiContext): Promise<void> {
  sendJson(ctx, 200, volumeBody(await ctx.engine.volumes.require(ctx.params.name ?? '')));
}

async function remove(ctx: ApiContext): Promise<void> {
  const name = ctx.params.name ?? '';
  const force = queryBool(ctx, 'force');
  const v = await ctx.engine.volumes.get(name);
  if (!v) {
    if (force) return sendEmpty(ctx, 204);
    throw new ApiError(404, `get ${name}: no such volume`);
  }
  const inUse = (await users(ctx.engine)).get(v.Name);
  if (inUse?.length) throw new ApiError(409, `remove ${v.Name}: volume is in use - [${inUse.join(', ')}]`);
  await ctx.engine.volumes.remove(v.Name);
  await event(ctx, 'destroy', v.Name);
  sendEmpty(ctx, 204);
}

/** Directory sizes are not tracked, so SpaceReclaimed is measured by walking what is removed. */
async function prune(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, ['label', 'label!', 'all']);
  // API 1.42 changed prune to anonymous volumes only unless `all=true`; older clients remove every unused one.
  const [major = 1, minor = 0] = ctx.apiVersion.split('.').map(Number);
  const anonymousOnly = f.all ? !filterBool(f.all, 'all') : major > 1 || minor >= 42;
  const used = await users(ctx.engine);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const v of await ctx.engine.volumes.list()) {
    if (used.has(v.Name) || (anonymousOnly && !v.Anonymous)) continue;
    if (!matchesLabels(v.Labels, f.label)) continue;
    if (f['label!']?.some((l) => matchesLabels(v.Labels, [l]))) continue;
    reclaimed += await diskUsage(v.Mountpoint);
    await ctx.engine.volumes.remove(v.Name);
    deleted.push(v.Name);
    await event(ctx, 'destroy', v.Name);
  }
  sendJson(ctx, 200, { VolumesDeleted: deleted, SpaceReclaimed: reclaimed });
}

async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else total += (await fs.lstat(p).catch(() => undefined))?.size ?? 0;
    }
  };
  await walk(dir);
  return total;
}

export const routes: Route[] = [
  { method: 'GET', path: '/volumes', handler: list },
  { method: 'POST', path: '/volumes/create', handler: create },
  { method: 'POST', path: '/volumes/prune', handler: prune },
  { method: 'GET', path: '/volumes/:name', handler: inspect },
  { method: 'DELETE', path: '/volumes/:name', handler: remove },
];
