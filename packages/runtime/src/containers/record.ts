import { z } from 'zod';
import { HealthConfigSchema, HealthStateSchema } from './healthcheck.js';
import { StoredLinkSchema } from './hostconfig.js';

export const PortBindingSchema = z.object({
  hostIp: z.string(),
  hostPort: z.number().int(),
  containerPort: z.number().int(),
  proto: z.enum(['tcp', 'udp']),
});

export const MountSchema = z.object({
  type: z.enum(['bind', 'volume']),
  source: z.string(),
  destination: z.string(),
  rw: z.boolean(),
  name: z.string().optional(),
});
export type MountSpec = z.infer<typeof MountSchema>;

export const RestartPolicySchema = z.object({
  name: z.enum(['no', 'always', 'on-failure', 'unless-stopped']),
  maximumRetryCount: z.number().int().nonnegative(),
});
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

export const AttachmentSchema = z.object({
  network: z.string(),
  networkId: z.string(),
  ip: z.string(),
  prefixLen: z.number(),
  gateway: z.string(),
  mac: z.string(),
  ifname: z.string(),
  aliases: z.array(z.string()),
});

export const EndpointConfigSchema = z.object({
  aliases: z.array(z.string()).default([]),
  ip: z.string().optional(),
});
export type EndpointConfig = z.infer<typeof EndpointConfigSchema>;

export const ContainerStatusSchema = z.enum([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'removing',
  'dead',
]);
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

export const ContainerRecordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string(),
  created: z.string(),
  image: z.string(),
  imageId: z.string(),
  layers: z.array(z.string()),
  config: z.object({
    entrypoint: z.array(z.string()).nullable(),
    cmd: z.array(z.string()).nullable(),
    env: z.array(z.string()),
    workdir: z.string(),
    user: z.string(),
    hostname: z.string(),
    domainname: z.string().default(''),
    tty: z.boolean(),
    openStdin: z.boolean(),
    labels: z.record(z.string(), z.string()),
    exposedPorts: z.array(z.string()),
    stopSignal: z.string().default('SIGTERM'),
    stopTimeout: z.number().int().default(10),
    /** Image's HEALTHCHECK merged with the request's; absent when neither has one. */
    healthcheck: HealthConfigSchema.optional(),
  }),
  host: z.object({
    memory: z.number().int().default(0),
    memorySwap: z.number().int().default(0),
    nanoCpus: z.number().int().default(0),
    pidsLimit: z.number().int().default(0),
    networkMode: z.string(),
    ports: z.array(PortBindingSchema),
    mounts: z.array(MountSchema),
    restart: RestartPolicySchema,
    autoRemove: z.boolean(),
    init: z.boolean().default(false),
    capAdd: z.array(z.string()).default([]),
    capDrop: z.array(z.string()).default([]),
    cpuShares: z.number().int().default(0),
    dns: z.array(z.string()).default([]),
    dnsSearch: z.array(z.string()).default([]),
    dnsOptions: z.array(z.string()).default([]),
    extraHosts: z.array(z.string()).default([]),
    links: z.array(StoredLinkSchema).default([]),
  }),
  state: z.object({
    status: ContainerStatusSchema,
    pid: z.number().int().default(0),
    shimPid: z.number().int().default(0),
    exitCode: z.number().int().default(0),
    oomKilled: z.boolean().default(false),
    error: z.string().default(''),
    startedAt: z.string().default('0001-01-01T00:00:00Z'),
    finishedAt: z.string().default('0001-01-01T00:00:00Z'),
    restartCount: z.number().int().default(0),
    /** Set by stop/kill from the user: restart policies (except always) must not bring it back. */
    manuallyStopped: z.boolean().default(false),
    /** Increments on every start; lets a late cleanup of an older run recognise that it is stale. */
    generation: z.number().int().default(0),
    /** Host ports actually bound for this run (a requested port 0 is replaced by the one picked). */
    ports: z.array(PortBindingSchema).default([]),
    /** This run's network namespace file (Docker's SandboxKey), when the engine made one. */
    sandboxKey: z.string().optional(),
    /** Docker's State.Health: reset to starting on each start, updated by the serving daemon's checks. */
    health: HealthStateSchema.optional(),
  }),
  networks: z.record(z.string(), AttachmentSchema).default({}),
  /**
   * Docker's EndpointsConfig kept across runs: network name → aliases and address the container gets there
   * when it starts (the network mode's entry refines that connection; others are joined as extra networks).
   */
  endpointConfigs: z.record(z.string(), EndpointConfigSchema).optional(),
});
export type ContainerRecord = z.infer<typeof ContainerRecordSchema>;
