import { z } from 'zod';
import { parseChanges } from '../../build/changes.js';
import { commitContainer } from '../../containers/commit.js';
import { createContainer } from '../../containers/create.js';
import { containerChanges } from '../../containers/diff.js';
import { exportContainer } from '../../containers/export.js';
import { inspectContainer } from '../../containers/inspect.js';
import { killContainer, parseSignal } from '../../containers/kill.js';
import { readLogs } from '../../containers/logs.js';
import { pauseContainer } from '../../containers/pause.js';
import { pruneContainers } from '../../containers/prune.js';
import type { ContainerRecord } from '../../containers/record.js';
import { renameContainer } from '../../containers/rename.js';
import { restartContainer } from '../../containers/restart.js';
import { removeContainer } from '../../containers/rm.js';
import { loadShim } from '../../containers/shim.js';
import { startContainer } from '../../containers/start.js';
import { effectiveState, isLive, sleep } from '../../containers/status.js';
import { stopContainer } from '../../containers/stop.js';
import { topContainer } from '../../containers/top.js';
import { updateContainer } from '../../containers/update.js';
import { DockyardError } from '../../errors.js';
import { containerEvent } from '../../events.js';
import { baseImageFor } from '../../images/import.js';
import { normalizeReference } from '../../images/reference.js';
import { getArchive, headArchive, putArchive } from '../containers/archive.js';
import { openSink, pipeShim, readUpgradeBody, resizeShim, type StreamSink } from '../containers/attach.js';
import { CreateBodySchema, toCreateOptions } from '../containers/create-body.js';
import { execIdsOf, forgetExecsOf } from '../containers/exec-store.js';
import { exitObserved, hub } from '../containers/hub.js';
import { listContainers } from '../containers/list.js';
import { streamLogs } from '../containers/logs.js';
import { type CpuReading, statsSample } from '../containers/stats.js';
import { type WaitCondition, waitForCondition } from '../containers/wait.js';
import {
  type ApiContext,
  ApiError,
  queryBool,
  type Route,
  readJson,
  requireResponse,
  sendEmpty,
  sendJson,
} from '../http.js';
import { parseFilters, queryInt } from '../query.js';
import { muxFrame } from '../stream.js';

const id = (ctx: ApiContext) => ctx.params.id ?? '';
const get = (ctx: ApiContext) => ctx.engine.containers.get(id(ctx));

const list = async (ctx: ApiContext) => {
  sendJson(
    ctx,
    200,
    await listContainers(ctx.engine, {
      all: queryBool(ctx, 'all'),
      limit: queryInt(ctx, 'limit'),
      filters: parseFilters(ctx),
    }),
  );
};

/** Docker's familiar spelling for "No such image" (the CLI pulls on exactly this 404). */
function familiar(ref: string): string {
  try {
    return normalizeReference(ref).replace(/^docker\.io\/(library\/)?/, '');
  } catch {
    return ref;
  }
}

const create = async (ctx: ApiContext) => {
  const body = await readJson(ctx, CreateBodySchema);
  const name = ctx.query.get('name') || undefined;
  const engine = ctx.engine;
  const imageId = await engine.images.resolve(body.Image);
  // Base images (busybox, debian) are imported from their local recipe like a pull; anything else missing is
  // Docker's 404, on which the client pulls and retries.
  if (!imageId && !baseImageFor(normalizeReference(body.Image)))
    throw new ApiError(404, `No such image: ${familiar(body.Image)}`);
  const imageExposed = imageId
    ? Object.keys((await engine.images.getConfig(imageId)).config?.ExposedPorts ?? {})
    : [];
  const { options, warnings } = toCreateOptions(body, name, imageExposed);
  const rec = await createContainer(engine, options).catch((e: unknown) => {
    if (e instanceof DockyardError && e.code === 'invalid-parameter')
      throw new ApiError(400, e.message.replace(/^Error response from daemon: /, ''));
    throw e;
  });
  // Aliases and a fixed address per network (`docker run --network n --ip … --network-alias …`) apply at start.
  const endpointConfigs = Object.fromEntries(
    Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {}).map(([net, ep]) => [
      // Newer clients name the network of a plain `docker run` "default".
      net === 'default' ? rec.host.networkMode : net,
      { aliases: ep?.Aliases ?? [], ip: ep?.IPAMConfig?.IPv4Address || undefined },
    ]),
  );
  if (Object.keys(endpointConfigs).length) {
    await engine.containers.withLock(rec.id, async () => {
      const current = await engine.containers.load(rec.id);
      if (!current) return;
      current.endpointConfigs = { ...current.endpointConfigs, ...endpointConfigs };
      await engine.containers.save(current);
    });
  }
  await containerEvent(engine, rec, 'create');
  sendJson(ctx, 201, { Id: rec.id, Warnings: warnings });
};

const inspect = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const json = await inspectContainer(ctx.engine, rec);
  const ids = execIdsOf(rec.id);
  sendJson(ctx, 200, { ...json, ExecIDs: ids.length ? ids : null });
};

const start = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const before = await get(ctx);
  if (isLive(await effectiveState(engine, before))) {
    sendEmpty(ctx, 304);
    return;
  }
  const rec = await startContainer(engine, before.id, { beforeStart: async (r) => hub.started(r) });
  await containerEvent(engine, rec, 'start');
  sendEmpty(ctx);
};

const stop = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const rec = await get(ctx);
  if (!isLive(await effectiveState(engine, rec))) {
    sendEmpty(ctx, 304);
    return;
  }
  const t = queryInt(ctx, 't');
  const signal = ctx.query.get('signal') || undefined;
  if (signal) parseSignal(signal);
  await stopContainer(engine, rec.id, { time: t !== undefined && t >= 0 ? t : undefined, signal });
  await containerEvent(engine, rec, 'stop');
  sendEmpty(ctx);
};

const kill = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const signal = ctx.query.get('signal') || 'KILL';
  await killContainer(ctx.engine, rec.id, signal);
  await containerEvent(ctx.engine, rec, 'kill', { signal: parseSignal(signal).replace(/^SIG/, '') });
  sendEmpty(ctx);
};

const restart = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const t = queryInt(ctx, 't');
  await restartContainer(ctx.engine, rec.id, { time: t !== undefined && t >= 0 ? t : undefined });
  await containerEvent(ctx.engine, rec, 'restart');
  sendEmpty(ctx);
};

const pause = (on: boolean) => async (ctx: ApiContext) => {
  const rec = await get(ctx);
  await pauseContainer(ctx.engine, rec.id, on);
  await containerEvent(ctx.engine, rec, on ? 'pause' : 'unpause');
  sendEmpty(ctx);
};

const remove = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  await removeContainer(ctx.engine, rec.id, { force: queryBool(ctx, 'force'), volumes: queryBool(ctx, 'v') });
  forgetExecsOf(rec.id);
  await containerEvent(ctx.engine, rec, 'destroy');
  sendEmpty(ctx);
};

const rename = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const name = ctx.query.get('name');
  if (!name) throw new ApiError(400, 'Bad parameters: name cannot be empty');
  await renameContainer(ctx.engine, rec.id, name);
  await containerEvent(ctx.engine, { ...rec, name: name.replace(/^\//, '') }, 'rename', {
    oldName: `/${rec.name}`,
  });
  sendEmpty(ctx);
};

const UpdateSchema = z.looseObject({
  Memory: z.number().int().nullish(),
  MemorySwap: z.number().int().nullish(),
  NanoCpus: z.number().int().nullish(),
  CpuQuota: z.number().int().nullish(),
  CpuPeriod: z.number().int().nullish(),
  PidsLimit: z.number().int().nullish(),
  CpuShares: z.number().int().nullish(),
  RestartPolicy: z
    .looseObject({ Name: z.string().nullish(), MaximumRetryCount: z.number().int().nullish() })
    .nullish(),
});

const update = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const b = await readJson(ctx, UpdateSchema);
  // Docker's update: zero or absent means "leave as is".
  const cpus = b.NanoCpus
    ? String(b.NanoCpus / 1e9)
    : b.CpuQuota && b.CpuQuota > 0
      ? String(b.CpuQuota / (b.CpuPeriod || 100_000))
      : undefined;
  const rp = b.RestartPolicy;
  await updateContainer(ctx.engine, rec.id, {
    memory: b.Memory ? String(b.Memory) : undefined,
    memorySwap: b.MemorySwap ? String(b.MemorySwap) : undefined,
    cpus,
    cpuShares: b.CpuShares ? b.CpuShares : undefined,
    pidsLimit:
      b.PidsLimit === null || b.PidsLimit === undefined ? undefined : String(Math.max(0, b.PidsLimit)),
    restart: rp?.Name
      ? rp.Name === 'on-failure' && rp.MaximumRetryCount
        ? `on-failure:${rp.MaximumRetryCount}`
        : rp.Name
      : undefined,
  });
  await containerEvent(ctx.engine, rec, 'update');
  sendJson(ctx, 200, { Warnings: [] });
};

const wait = async (ctx: ApiContext) => {
  const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition))
    throw new ApiError(400, `invalid condition: "${condition}"`);
  await get(ctx);
  const res = requireResponse(ctx);
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const code = await waitForCondition(ctx.engine, id(ctx), condition, ac.signal, () => {
    // Headers go out once the wait is in place, like dockerd's.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
  });
  if (code === undefined) return;
  res.end(JSON.stringify({ StatusCode: code, Error: null }));
};

const attach = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const rec = await get(ctx);
  const tty = rec.config.tty;
  const wantStdin = queryBool(ctx, 'stdin') && rec.config.openStdin;
  const wantOut = queryBool(ctx, 'stdout');
  const wantStream = queryBool(ctx, 'stream');
  const wantErr = queryBool(ctx, 'stderr');
  const shim = await loadShim();
  const live = isLive(await effectiveState(engine, rec));
  let sink: StreamSink | undefined;
  const connect = (replay: boolean, run: ContainerRecord) => {
    const att = shim.attachShim(engine.containers.shimDir(rec.id), { replay, stdin: wantStdin });
    hub.track(rec.id, att);
    return pipeShim(att, sink as StreamSink, {
      tty,
      stdin: wantStdin,
      stdout: wantOut,
      stderr: wantErr,
      closeStdinOnEnd: true,
      onExit: (code) => exitObserved(engine, run, code),
    });
  };
  // Attached before start (docker run, start -a): the client starts the container as soon as it has the
  // 101, so the start hook is in place before that; it connects before the process runs.
  let connected: Promise<void> | undefined;
  const off =
    !live && wantStream
      ? hub.onNextStart(rec.id, (r) => {
          connected = connect(true, r);
        })
      : () => {};
  try {
    // Some clients (dockerode) send their options as a JSON body: what follows it is early stdin.
    const early = ctx.upgrade ? (await readUpgradeBody(ctx)).rest : undefined;
    sink = openSink(ctx, tty, early);
    await containerEvent(engine, rec, 'attach');
    if (queryBool(ctx, 'logs')) {
      await readLogs(engine, rec.id, {
        write: (stream, text) => {
          if ((stream === 'stdout' && !wantOut) || (stream === 'stderr' && !wantErr)) return;
          const b = Buffer.from(text);
          sink?.write(tty ? b : muxFrame(stream === 'stdout' ? 1 : 2, b));
        },
      });
    }
    if (!wantStream) {
      sink.end();
      return;
    }
    if (live) {
      await connect(false, rec);
      return;
    }
    let closed = false;
    sink.onClose(() => {
      closed = true;
    });
    // Started by another process (the CLI) instead: noticed by polling.
    while (!connected && !closed) {
      await sleep(100);
      if (connected || closed) break;
      const cur = await engine.containers.load(rec.id);
      if (!cur || cur.state.generation !== rec.state.generation) {
        off();
        if (connected) break;
        if (cur && isLive(await effectiveState(engine, cur))) connected = connect(true, cur);
        else sink.end();
        break;
      }
    }
    if (connected) await connected;
  } finally {
    off();
  }
};

const resize = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const h = queryInt(ctx, 'h') ?? 0;
  const w = queryInt(ctx, 'w') ?? 0;
  if (h < 0 || w < 0 || h > 0xffff || w > 0xffff) throw new ApiError(400, 'invalid terminal size');
  if (!isLive(await effectiveState(ctx.engine, rec)))
    throw new ApiError(409, `Container ${rec.id} is not running`);
  await resizeShim(rec.id, ctx.engine.containers.shimDir(rec.id), h, w);
  sendEmpty(ctx, 200);
};

const top = async (ctx: ApiContext) => {
  const psArgs = (ctx.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
  const r = await topContainer(ctx.engine, id(ctx), psArgs);
  sendJson(ctx, 200, { Titles: r.titles, Processes: r.processes });
};

const stats = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const rec = await get(ctx);
  const stream = queryBool(ctx, 'stream', true);
  const oneShot = queryBool(ctx, 'one-shot');
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let pre: { read: string; cpu: CpuReading } | undefined;
  if (!stream) {
    // Like Docker: a single sample still carries a previous CPU reading so a percentage can be computed.
    if (!oneShot) {
      const first = await statsSample(engine, rec, undefined);
      pre = { read: first.read, cpu: first.cpu };
      await sleep(500);
    }
    res.end(`${JSON.stringify((await statsSample(engine, rec, pre)).body)}\n`);
    return;
  }
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  while (!closed) {
    const cur = await engine.containers.load(rec.id);
    if (!cur) break;
    const sample = await statsSample(engine, cur, pre);
    res.write(`${JSON.stringify(sample.body)}\n`);
    pre = { read: sample.read, cpu: sample.cpu };
    await sleep(1000);
  }
  if (!res.writableEnded) res.end();
};

const KIND = { C: 0, A: 1, D: 2 } as const;

const changes = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const { changes: list } = await containerChanges(ctx.engine, rec);
  sendJson(
    ctx,
    200,
    list.map((c) => ({ Path: c.path, Kind: KIND[c.kind] })),
  );
};

const exportTar = async (ctx: ApiContext) => {
  const rec = await get(ctx);
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await exportContainer(ctx.engine, rec.id, res);
  await containerEvent(ctx.engine, rec, 'export');
};

const prune = async (ctx: ApiContext) => {
  const filters = parseFilters(ctx);
  for (const k of Object.keys(filters))
    if (k !== 'label' && k !== 'until') throw new ApiError(400, `invalid filter '${k}'`);
  if (filters.label?.length || filters.until?.length)
    throw new ApiError(400, 'prune filters (label, until) are not supported by this engine');
  const recs = new Map((await ctx.engine.containers.list()).map((r) => [r.id, r]));
  const removed = await pruneContainers(ctx.engine);
  for (const rid of removed) {
    const rec = recs.get(rid);
    forgetExecsOf(rid);
    if (rec) await containerEvent(ctx.engine, rec, 'destroy');
  }
  sendJson(ctx, 200, { ContainersDeleted: removed, SpaceReclaimed: 0 });
};

const commit = async (ctx: ApiContext) => {
  const ref = ctx.query.get('container');
  if (!ref) throw new ApiError(400, 'Bad parameters: container is required');
  await readJson(ctx, z.unknown());
  const rec = await ctx.engine.containers.get(ref);
  const repo = ctx.query.get('repo') || '';
  const tag = ctx.query.get('tag') || '';
  const changesList = ctx.query
    .getAll('changes')
    .flatMap((c) => c.split('\n'))
    .filter((c) => c.trim());
  try {
    parseChanges(changesList);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  const imageId = await commitContainer(ctx.engine, rec.id, {
    ref: repo ? `${repo}${tag ? `:${tag}` : ''}` : undefined,
    message: ctx.query.get('comment') || undefined,
    author: ctx.query.get('author') || undefined,
    changes: changesList,
    pause: queryBool(ctx, 'pause', true),
  });
  await containerEvent(
    ctx.engine,
    rec,
    'commit',
    ctx.query.get('comment') ? { comment: ctx.query.get('comment') ?? '' } : {},
  );
  sendJson(ctx, 201, { Id: imageId.startsWith('sha256:') ? imageId : `sha256:${imageId}` });
};

export const routes: Route[] = [
  { method: 'GET', path: '/containers/json', handler: list },
  { method: 'POST', path: '/containers/create', handler: create },
  { method: 'POST', path: '/containers/prune', handler: prune },
  { method: 'GET', path: '/containers/:id/json', handler: inspect },
  { method: 'POST', path: '/containers/:id/start', handler: start },
  { method: 'POST', path: '/containers/:id/stop', handler: stop },
  { method: 'POST', path: '/containers/:id/kill', handler: kill },
  { method: 'POST', path: '/containers/:id/restart', handler: restart },
  { method: 'POST', path: '/containers/:id/pause', handler: pause(true) },
  { method: 'POST', path: '/containers/:id/unpause', handler: pause(false) },
  { method: 'DELETE', path: '/containers/:id', handler: remove },
  { method: 'POST', path: '/containers/:id/rename', handler: rename },
  { method: 'POST', path: '/containers/:id/update', handler: update },
  { method: 'POST', path: '/containers/:id/wait', handler: wait },
  { method: 'GET', path: '/containers/:id/logs', handler: streamLogs },
  { method: 'POST', path: '/containers/:id/attach', handler: attach },
  { method: 'POST', path: '/containers/:id/resize', handler: resize },
  { method: 'GET', path: '/containers/:id/top', handler: top },
  { method: 'GET', path: '/containers/:id/stats', handler: stats },
  { method: 'GET', path: '/containers/:id/changes', handler: changes },
  { method: 'GET', path: '/containers/:id/export', handler: exportTar },
  { method: 'GET', path: '/containers/:id/archive', handler: getArchive },
  { method: 'HEAD', path: '/containers/:id/archive', handler: headArchive },
  { method: 'PUT', path: '/containers/:id/archive', handler: putArchive },
  { method: 'POST', path: '/commit', handler: commit },
];
