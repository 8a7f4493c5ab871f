import { existsSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { effectiveState } from '../../containers/status.js';
import { type EngineEvent, type EventFilter, followEvents, matchEvent, readEvents } from '../../events.js';
import { type ApiContext, type Route, readJson, requireResponse, sendJson } from '../http.js';
import { parseFilters, parseTime } from '../query.js';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from '../version.js';

const ping = async (ctx: ApiContext) => {
  const res = requireResponse(ctx);
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': '2',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Builder-Version': '1',
    Swarm: 'inactive',
  });
  res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
};

const arch = () => (os.arch() === 'x64' ? 'amd64' : os.arch());

const version = async (ctx: ApiContext) => {
  const details = {
    ApiVersion: API_VERSION,
    Arch: arch(),
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  sendJson(ctx, 200, {
    Platform: { Name: 'Dockyard Engine' },
    Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: details }],
    Version: ENGINE_VERSION,
    ...details,
    Experimental: false,
  });
};

const cgroupVersion = () => (existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1');

const info = async (ctx: ApiContext) => {
  const e = ctx.engine;
  const counts = { running: 0, paused: 0, stopped: 0 };
  const recs = await e.containers.list();
  for (const r of recs) {
    const s = await effectiveState(e, r);
    if (s.status === 'running') counts.running++;
    else if (s.status === 'paused') counts.paused++;
    else counts.stopped++;
  }
  const images = await e.images.imageIds().catch(() => [] as string[]);
  sendJson(ctx, 200, {
    ID: 'DOCKYARD',
    Containers: recs.length,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: images.length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'overlayfs']],
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'null'],
      Authorization: null,
      Log: ['json-file'],
    },
    MemoryLimit: true,
    SwapLimit: true,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: false,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: 'Dockyard',
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: {},
      Mirrors: [],
    },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: e.cfg.root,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: { [e.cfg.runtimeName]: { path: e.cfg.runtime } },
    DefaultRuntime: e.cfg.runtimeName,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ['name=seccomp,profile=default'],
    Warnings: [],
  });
};

/** Adds the pre-1.22 fields (`status`, `id`, `from`) that Docker still sends and older clients read. */
export function wireEvent(e: EngineEvent): Record<string, unknown> {
  const legacy =
    e.Type === 'container' || e.Type === 'image'
      ? {
          status: e.Action,
          id: e.Actor.ID,
          ...(e.Actor.Attributes.image ? { from: e.Actor.Attributes.image } : {}),
        }
      : {};
  return { ...legacy, ...e };
}

const events = async (ctx: ApiContext) => {
  const res = requireResponse(ctx);
  const filters = parseFilters(ctx) as EventFilter;
  const now = Date.now() / 1000;
  const since = parseTime(ctx.query.get('since'), now);
  const until = parseTime(ctx.query.get('until'), now);
  const inRange = (e: EngineEvent) => {
    const t = e.timeNano / 1e9;
    return (since === undefined || t >= since) && (until === undefined || t <= until);
  };
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const send = (e: EngineEvent) => {
    if (inRange(e) && matchEvent(e, filters)) res.write(`${JSON.stringify(wireEvent(e))}\n`);
  };
  const { events: past, offset } = await readEvents(ctx.engine.cfg);
  if (since !== undefined) for (const e of past) send(e);
  if (until !== undefined && until <= Date.now() / 1000) {
    res.end();
    return;
  }
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  let timer: NodeJS.Timeout | undefined;
  if (until !== undefined) timer = setTimeout(() => ac.abort(), (until - Date.now() / 1000) * 1000 + 200);
  await followEvents(ctx.engine.cfg, offset, send, ac.signal);
  if (timer) clearTimeout(timer);
  if (!res.writableEnded) res.end();
};

const systemDf = async (ctx: ApiContext) => {
  const e = ctx.engine;
  const images = await e.images.list().catch(() => []);
  const recs = await e.containers.list();
  const vols = await e.volumes.list().catch(() => []);
  sendJson(ctx, 200, {
    LayersSize: images.reduce((n, i) => n + i.size, 0),
    Images: images.map((i) => ({
      Id: i.id,
      ParentId: '',
      RepoTags: i.tags,
      RepoDigests: [],
      Created: Math.floor(Date.parse(i.created) / 1000) || 0,
      Size: i.size,
      SharedSize: -1,
      VirtualSize: i.size,
      Labels: i.config.config?.Labels ?? {},
      Containers: recs.filter((r) => r.imageId === i.id).length,
    })),
    Containers: await Promise.all(
      recs.map(async (r) => {
        const s = await effectiveState(e, r);
        return {
          Id: r.id,
          Names: [`/${r.name}`],
          Image: r.image,
          ImageID: r.imageId,
          Command: [...(r.config.entrypoint ?? []), ...(r.config.cmd ?? [])].join(' '),
          Created: Math.floor(Date.parse(r.created) / 1000),
          State: s.status,
          Status: s.status,
          SizeRw: 0,
          SizeRootFs: 0,
          Labels: r.config.labels,
          Mounts: [],
        };
      }),
    ),
    Volumes: vols.map((v) => ({
      Name: v.Name,
      Driver: 'local',
      Mountpoint: v.Mountpoint,
      Labels: v.Labels ?? {},
      Scope: 'local',
      Options: null,
      UsageData: {
        Size: -1,
        RefCount: recs.filter((r) => r.host.mounts.some((m) => m.name === v.Name)).length,
      },
    })),
    BuildCache: [],
  });
};

const AuthSchema = z.looseObject({ username: z.string().optional(), serveraddress: z.string().optional() });

const auth = async (ctx: ApiContext) => {
  await readJson(ctx, AuthSchema);
  sendJson(ctx, 200, { Status: 'Login Succeeded', IdentityToken: '' });
};

export const routes: Route[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/version', handler: version },
  { method: 'GET', path: '/info', handler: info },
  { method: 'GET', path: '/events', handler: events },
  { method: 'GET', path: '/system/df', handler: systemDf },
  { method: 'POST', path: '/auth', handler: auth },
];
