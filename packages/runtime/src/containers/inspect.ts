import type { Engine } from '../engine.js';
import { apiHealthcheck, apiHealthState } from './healthcheck.js';
import { containerNetns, etcFiles } from './networking.js';
import type { ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';
import { effectiveState } from './status.js';

/** Docker shows links as `/<linked container>:/<this container>/<alias>`, with current names. */
async function inspectLinks(engine: Engine, rec: ContainerRecord): Promise<string[] | null> {
  const out: string[] = [];
  for (const l of rec.host.links) {
    const child = await engine.containers.get(l.id).catch(() => undefined);
    if (child) out.push(`/${child.name}:/${rec.name}/${l.alias}`);
  }
  return out.length ? out : null;
}

/** `docker inspect` JSON for a container (the fields docker users and lessons read). */
export async function inspectContainer(
  engine: Engine,
  rec: ContainerRecord,
): Promise<Record<string, unknown>> {
  const s = await effectiveState(engine, rec);
  const files = etcFiles(engine, rec.id);
  const rootfs = rootfsPaths(engine.containers.dir(rec.id));
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of rec.config.exposedPorts) ports[p] = null;
  for (const b of s.ports) {
    const key = `${b.containerPort}/${b.proto}`;
    ports[key] = [...(ports[key] ?? []), { HostIp: b.hostIp, HostPort: String(b.hostPort) }];
  }
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const b of rec.host.ports) {
    const key = `${b.containerPort}/${b.proto}`;
    portBindings[key] = [
      ...(portBindings[key] ?? []),
      { HostIp: b.hostIp === '0.0.0.0' ? '' : b.hostIp, HostPort: b.hostPort ? String(b.hostPort) : '' },
    ];
  }
  const networks: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(rec.networks)) {
    networks[name] = {
      IPAMConfig: null,
      Links: null,
      Aliases: a.aliases,
      MacAddress: a.mac,
      NetworkID: a.networkId,
      EndpointID: '',
      Gateway: a.gateway,
      IPAddress: a.ip,
      IPPrefixLen: a.prefixLen,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DriverOpts: null,
    };
  }
  if (!Object.keys(networks).length && !rec.host.networkMode.startsWith('container:')) {
    networks[rec.host.networkMode] = {
      Aliases: null,
      NetworkID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      MacAddress: '',
    };
  }
  const primary = Object.values(rec.networks)[0];
  const args = [...(rec.config.entrypoint ?? []), ...(rec.config.cmd ?? [])];
  return {
    Id: rec.id,
    Created: rec.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health ? { Health: apiHealthState(s.health) } : {}),
    },
    Image: rec.imageId,
    ResolvConfPath: files.resolvConf,
    HostnamePath: files.hostname,
    HostsPath: files.hosts,
    LogPath: engine.containers.logPath(rec.id),
    Name: `/${rec.name}`,
    RestartCount: s.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: rec.host.mounts.map(
        (m) => `${m.type === 'volume' ? m.name : m.source}:${m.destination}${m.rw ? '' : ':ro'}`,
      ),
      NetworkMode: rec.host.networkMode,
      // dyshim writes Docker's json-file format; clients (compose) read logs only from drivers they know.
      LogConfig: { Type: 'json-file', Config: {} },
      PortBindings: portBindings,
      RestartPolicy: { Name: rec.host.restart.name, MaximumRetryCount: rec.host.restart.maximumRetryCount },
      AutoRemove: rec.host.autoRemove,
      Memory: rec.host.memory,
      MemorySwap: rec.host.memorySwap,
      NanoCpus: rec.host.nanoCpus,
      CpuPeriod: 0,
      CpuQuota: 0,
      PidsLimit: rec.host.pidsLimit || null,
      Init: rec.host.init || null,
      CapAdd: rec.host.capAdd.length ? rec.host.capAdd : null,
      CapDrop: rec.host.capDrop.length ? rec.host.capDrop : null,
      CpuShares: rec.host.cpuShares,
      Dns: rec.host.dns,
      DnsOptions: rec.host.dnsOptions,
      DnsSearch: rec.host.dnsSearch,
      ExtraHosts: rec.host.extraHosts.length ? rec.host.extraHosts : null,
      Links: await inspectLinks(engine, rec),
      Runtime: engine.cfg.runtimeName,
      CgroupParent: engine.cfg.cgroupParent,
    },
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: [...rec.layers]
          .reverse()
          .map((d) => engine.images.layerDiff(d))
          .join(':'),
        UpperDir: rootfs.upper,
        WorkDir: rootfs.work,
        MergedDir: rootfs.merged,
      },
    },
    Mounts: mountPoints(rec),
    Config: {
      Hostname: rec.config.hostname,
      Domainname: rec.config.domainname,
      User: rec.config.user,
      AttachStdin: rec.config.openStdin,
      AttachStdout: true,
      AttachStderr: true,
      ExposedPorts: Object.fromEntries(rec.config.exposedPorts.map((p) => [p, {}])),
      Tty: rec.config.tty,
      OpenStdin: rec.config.openStdin,
      StdinOnce: rec.config.openStdin,
      Env: rec.config.env,
      Cmd: rec.config.cmd,
      Image: rec.image,
      Volumes: null,
      WorkingDir: rec.config.workdir === '/' ? '' : rec.config.workdir,
      Entrypoint: rec.config.entrypoint,
      Labels: rec.config.labels,
      StopSignal: rec.config.stopSignal,
      ...(rec.config.healthcheck ? { Healthcheck: apiHealthcheck(rec.config.healthcheck) } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: Object.keys(rec.networks).length ? containerNetns(engine, rec) : '',
      Ports: ports,
      Gateway: primary?.gateway ?? '',
      IPAddress: primary?.ip ?? '',
      IPPrefixLen: primary?.prefixLen ?? 0,
      MacAddress: primary?.mac ?? '',
      Networks: networks,
    },
  };
}

/** A container's mounts as Docker's inspect and list show them. */
export function mountPoints(rec: ContainerRecord) {
  return rec.host.mounts.map((m) => ({
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.name, Driver: 'local' } : {}),
    Source: m.source,
    Destination: m.destination,
    Mode: m.rw ? '' : 'ro',
    RW: m.rw,
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  }));
}
