import { z } from 'zod';
import type { CreateOptions } from '../../containers/create.js';
import { ApiHealthcheckSchema, validateHealthcheck } from '../../containers/healthcheck.js';
import { ApiError } from '../http.js';

const StrList = z.union([z.array(z.string()), z.string()]).nullish();
const PortBinding = z.looseObject({ HostIp: z.string().nullish(), HostPort: z.string().nullish() });

/** Docker's ContainerCreate body (config + HostConfig + NetworkingConfig). Unknown keys are tolerated. */
export const CreateBodySchema = z.looseObject({
  Image: z.string().min(1, 'Image is required'),
  Cmd: StrList,
  Entrypoint: StrList,
  Env: z.array(z.string()).nullish(),
  Tty: z.boolean().nullish(),
  OpenStdin: z.boolean().nullish(),
  StdinOnce: z.boolean().nullish(),
  AttachStdin: z.boolean().nullish(),
  AttachStdout: z.boolean().nullish(),
  AttachStderr: z.boolean().nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Hostname: z.string().nullish(),
  Domainname: z.string().nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  Healthcheck: ApiHealthcheckSchema.nullish(),
  StopSignal: z.string().nullish(),
  StopTimeout: z.number().int().nullish(),
  HostConfig: z
    .looseObject({
      Binds: z.array(z.string()).nullish(),
      Mounts: z
        .array(
          z.looseObject({
            Type: z.string().nullish(),
            Source: z.string().nullish(),
            Target: z.string(),
            ReadOnly: z.boolean().nullish(),
          }),
        )
        .nullish(),
      PortBindings: z.record(z.string(), z.array(PortBinding).nullable()).nullish(),
      PublishAllPorts: z.boolean().nullish(),
      NetworkMode: z.string().nullish(),
      RestartPolicy: z
        .looseObject({ Name: z.string().nullish(), MaximumRetryCount: z.number().int().nullish() })
        .nullish(),
      AutoRemove: z.boolean().nullish(),
      Memory: z.number().int().nonnegative().nullish(),
      MemorySwap: z.number().int().nullish(),
      NanoCpus: z.number().int().nonnegative().nullish(),
      CpuShares: z.number().int().nullish(),
      CpuQuota: z.number().int().nullish(),
      CpuPeriod: z.number().int().nullish(),
      PidsLimit: z.number().int().nullish(),
      Init: z.boolean().nullish(),
      Privileged: z.boolean().nullish(),
      CapAdd: z.array(z.string()).nullish(),
      CapDrop: z.array(z.string()).nullish(),
      Dns: z.array(z.string()).nullish(),
      DnsSearch: z.array(z.string()).nullish(),
      DnsOptions: z.array(z.string()).nullish(),
      ExtraHosts: z.array(z.string()).nullish(),
      Links: z.array(z.string()).nullish(),
    })
    .nullish(),
  NetworkingConfig: z
    .looseObject({
      EndpointsConfig: z
        .record(
          z.string(),
          z
            .looseObject({
              Aliases: z.array(z.string()).nullish(),
              IPAMConfig: z.looseObject({ IPv4Address: z.string().nullish() }).nullish(),
            })
            .nullable(),
        )
        .nullish(),
    })
    .nullish(),
});
export type CreateBody = z.infer<typeof CreateBodySchema>;

const asList = (v: string[] | string | null | undefined): string[] | undefined =>
  v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** Maps the API body onto the engine's create options; settings the engine cannot honour become warnings. */
export function toCreateOptions(
  body: CreateBody,
  name: string | undefined,
  imageExposed: string[],
): { options: CreateOptions; warnings: string[] } {
  const h = body.HostConfig ?? {};
  const warnings: string[] = [];
  if (h.Privileged) {
    throw new ApiError(400, 'privileged containers are not supported by this engine (Privileged: true)');
  }
  try {
    validateHealthcheck(body.Healthcheck);
  } catch (e) {
    throw new ApiError(400, (e as Error).message.replace(/^Error response from daemon: /, ''));
  }

  const volume: string[] = [...(h.Binds ?? [])];
  for (const m of h.Mounts ?? []) {
    const ro = m.ReadOnly ? ':ro' : '';
    if (m.Type === 'tmpfs') throw new ApiError(400, 'tmpfs mounts are not supported by this engine');
    volume.push(m.Source ? `${m.Source}:${m.Target}${ro}` : m.Target);
  }
  const bound = new Set(volume.map((v) => v.split(':')[v.includes(':') ? 1 : 0]));
  for (const dest of Object.keys(body.Volumes ?? {})) if (!bound.has(dest)) volume.push(dest);

  const publish: string[] = [];
  for (const [port, bindings] of Object.entries(h.PortBindings ?? {})) {
    const [num, proto = 'tcp'] = port.split('/');
    for (const b of bindings ?? [{}]) {
      const ip = b.HostIp && !b.HostIp.includes(':') ? b.HostIp : '';
      publish.push(`${ip ? `${ip}:` : ''}${b.HostPort ?? ''}:${num}/${proto}`);
    }
  }
  const expose = Object.keys(body.ExposedPorts ?? {});
  if (h.PublishAllPorts) {
    for (const p of new Set([...imageExposed, ...expose])) {
      if (h.PortBindings?.[p]) continue;
      const [num, proto = 'tcp'] = p.split('/');
      publish.push(`:${num}/${proto}`);
    }
  }

  let cpus: string | undefined;
  if (h.NanoCpus) cpus = String(h.NanoCpus / 1e9);
  else if (h.CpuQuota && h.CpuQuota > 0) cpus = String(h.CpuQuota / (h.CpuPeriod || 100_000));

  const endpoints = Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {});
  let network = h.NetworkMode || undefined;
  if ((!network || network === 'default') && endpoints.length) network = endpoints[0]?.[0];
  for (const [net, ep] of endpoints) {
    if (ep?.IPAMConfig?.IPv4Address && ['bridge', 'default', 'host', 'none'].includes(net))
      throw new ApiError(400, 'user specified IP address is supported on user defined networks only');
  }

  const rp = h.RestartPolicy;
  const restart = !rp?.Name
    ? undefined
    : rp.Name === 'on-failure' && rp.MaximumRetryCount
      ? `on-failure:${rp.MaximumRetryCount}`
      : rp.Name;

  const entrypoint = asList(body.Entrypoint);
  return {
    warnings,
    options: {
      image: body.Image,
      command: asList(body.Cmd) ?? [],
      name,
      env: body.Env ?? [],
      workdir: body.WorkingDir || undefined,
      user: body.User ?? undefined,
      hostname: body.Hostname || undefined,
      tty: !!body.Tty,
      interactive: !!body.OpenStdin,
      label: Object.entries(body.Labels ?? {}).map(([k, v]) => `${k}=${v}`),
      memory: h.Memory ? String(h.Memory) : undefined,
      memorySwap: h.MemorySwap ? String(h.MemorySwap) : undefined,
      cpus,
      pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? String(h.PidsLimit) : undefined,
      network,
      publish,
      volume,
      restart,
      rm: !!h.AutoRemove,
      init: !!h.Init,
      entrypointArgs: entrypoint,
      expose,
      stopSignal: body.StopSignal || undefined,
      stopTimeout: body.StopTimeout ?? undefined,
      capAdd: h.CapAdd ?? [],
      capDrop: h.CapDrop ?? [],
      cpuShares: h.CpuShares ?? 0,
      dns: h.Dns ?? [],
      dnsSearch: h.DnsSearch ?? [],
      dnsOption: h.DnsOptions ?? [],
      addHost: h.ExtraHosts ?? [],
      link: h.Links ?? [],
      healthcheck: body.Healthcheck ?? undefined,
    },
  };
}
