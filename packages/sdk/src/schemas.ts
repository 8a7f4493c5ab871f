import { z } from 'zod';

/**
 * What the Engine API answers, as zod schemas: responses are validated before they reach the caller.
 * Objects are loose (fields Docker adds later pass through, typed as unknown); fields the engine may
 * omit or send as null are optional/nullable as Docker documents them.
 */

const stringMap = z.record(z.string(), z.string());
const labels = stringMap.nullish().transform((v) => v ?? {});
/** A list Docker may send as null when empty: always an array here. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

export const PortSchema = z.looseObject({
  IP: z.string().optional(),
  PrivatePort: z.number(),
  PublicPort: z.number().optional(),
  Type: z.string(),
});

export const MountPointSchema = z.looseObject({
  Type: z.string(),
  Name: z.string().optional(),
  Source: z.string(),
  Destination: z.string(),
  Driver: z.string().optional(),
  Mode: z.string(),
  RW: z.boolean(),
  Propagation: z.string().optional(),
});

export const EndpointSettingsSchema = z.looseObject({
  Aliases: z.array(z.string()).nullish(),
  NetworkID: z.string().optional(),
  EndpointID: z.string().optional(),
  Gateway: z.string().optional(),
  IPAddress: z.string().optional(),
  IPPrefixLen: z.number().optional(),
  MacAddress: z.string().optional(),
});
export type EndpointSettings = z.infer<typeof EndpointSettingsSchema>;

export const ContainerSummarySchema = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  ImageID: z.string(),
  Command: z.string(),
  Created: z.number(),
  State: z.string(),
  Status: z.string(),
  Ports: z.array(PortSchema),
  Labels: labels,
  Mounts: z.array(MountPointSchema).optional(),
  NetworkSettings: z
    .looseObject({ Networks: z.record(z.string(), EndpointSettingsSchema).nullish() })
    .optional(),
});
export type ContainerSummary = z.infer<typeof ContainerSummarySchema>;

export const ContainerStateSchema = z.looseObject({
  Status: z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']),
  Running: z.boolean(),
  Paused: z.boolean(),
  Restarting: z.boolean(),
  OOMKilled: z.boolean(),
  Dead: z.boolean(),
  Pid: z.number(),
  ExitCode: z.number(),
  Error: z.string(),
  StartedAt: z.string(),
  FinishedAt: z.string(),
});

export const ContainerConfigSchema = z.looseObject({
  Hostname: z.string(),
  User: z.string(),
  Tty: z.boolean(),
  OpenStdin: z.boolean(),
  Env: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Image: z.string(),
  WorkingDir: z.string(),
  Labels: labels,
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
});

export const ContainerInspectSchema = z.looseObject({
  Id: z.string(),
  Created: z.string(),
  Path: z.string(),
  Args: z.array(z.string()),
  State: ContainerStateSchema,
  Image: z.string(),
  Name: z.string(),
  RestartCount: z.number(),
  Config: ContainerConfigSchema,
  HostConfig: z.looseObject({
    NetworkMode: z.string().optional(),
    PortBindings: z
      .record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() })).nullable())
      .nullish(),
    Binds: z.array(z.string()).nullish(),
    AutoRemove: z.boolean().optional(),
    Memory: z.number().optional(),
    NanoCpus: z.number().optional(),
  }),
  NetworkSettings: z.looseObject({
    Ports: z
      .record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() })).nullable())
      .nullish(),
    Networks: z.record(z.string(), EndpointSettingsSchema).nullish(),
    IPAddress: z.string().optional(),
  }),
  Mounts: z.array(MountPointSchema),
});
export type ContainerInspectInfo = z.infer<typeof ContainerInspectSchema>;

export const IdResponseSchema = z.looseObject({ Id: z.string() });
export const CreateResponseSchema = z.looseObject({
  Id: z.string(),
  Warnings: z.array(z.string()).nullish(),
});

export const WaitResponseSchema = z.looseObject({
  StatusCode: z.number(),
  Error: z.looseObject({ Message: z.string() }).nullish(),
});
export type WaitResponse = z.infer<typeof WaitResponseSchema>;

export const TopResponseSchema = z.looseObject({
  Titles: z.array(z.string()),
  Processes: z.array(z.array(z.string())).nullable(),
});
export type TopResponse = z.infer<typeof TopResponseSchema>;

export const StatsSchema = z.looseObject({
  read: z.string(),
  pids_stats: z.looseObject({ current: z.number().optional() }).optional(),
  cpu_stats: z.looseObject({
    cpu_usage: z.looseObject({ total_usage: z.number() }),
    system_cpu_usage: z.number().optional(),
    online_cpus: z.number().optional(),
  }),
  memory_stats: z.looseObject({ usage: z.number().optional(), limit: z.number().optional() }),
  networks: z.record(z.string(), z.record(z.string(), z.number())).optional(),
});
export type Stats = z.infer<typeof StatsSchema>;

export const ChangeSchema = z.looseObject({ Path: z.string(), Kind: z.number() });
export const ChangesSchema = z
  .array(ChangeSchema)
  .nullable()
  .transform((v) => v ?? []);
export type Change = z.infer<typeof ChangeSchema>;

export const UpdateResponseSchema = z.looseObject({ Warnings: z.array(z.string()).nullish() });

export const PruneContainersSchema = z.looseObject({
  ContainersDeleted: listOf(z.string()),
  SpaceReclaimed: z.number(),
});

export const ExecInspectSchema = z.looseObject({
  ID: z.string(),
  Running: z.boolean(),
  ExitCode: z.number().nullable(),
  OpenStdin: z.boolean(),
  OpenStdout: z.boolean(),
  OpenStderr: z.boolean(),
  ContainerID: z.string(),
  Pid: z.number(),
  ProcessConfig: z.looseObject({
    tty: z.boolean(),
    entrypoint: z.string(),
    arguments: z.array(z.string()),
    user: z.string().optional(),
    privileged: z.boolean().optional(),
  }),
});
export type ExecInspectInfo = z.infer<typeof ExecInspectSchema>;

export const ImageSummarySchema = z.looseObject({
  Id: z.string(),
  ParentId: z.string(),
  RepoTags: listOf(z.string()),
  RepoDigests: listOf(z.string()),
  Created: z.number(),
  Size: z.number(),
  Labels: labels,
  Containers: z.number(),
});
export type ImageSummary = z.infer<typeof ImageSummarySchema>;

export const ImageInspectSchema = z.looseObject({
  Id: z.string(),
  RepoTags: listOf(z.string()),
  RepoDigests: listOf(z.string()),
  Parent: z.string().optional(),
  Created: z.string(),
  Architecture: z.string(),
  Os: z.string(),
  Size: z.number(),
  Config: z
    .looseObject({
      Env: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      WorkingDir: z.string().optional(),
      User: z.string().optional(),
      Labels: labels.optional(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  RootFS: z.looseObject({ Type: z.string(), Layers: z.array(z.string()).optional() }),
});
export type ImageInspectInfo = z.infer<typeof ImageInspectSchema>;

export const HistoryItemSchema = z.looseObject({
  Id: z.string(),
  Created: z.number(),
  CreatedBy: z.string(),
  Tags: listOf(z.string()),
  Size: z.number(),
  Comment: z.string(),
});
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

export const ImageDeleteSchema = z.array(
  z.looseObject({ Untagged: z.string().optional(), Deleted: z.string().optional() }),
);
export type ImageDeleteItem = z.infer<typeof ImageDeleteSchema>[number];

export const PruneImagesSchema = z.looseObject({
  ImagesDeleted: listOf(z.looseObject({ Untagged: z.string().optional(), Deleted: z.string().optional() })),
  SpaceReclaimed: z.number(),
});

export const NetworkSchema = z.looseObject({
  Name: z.string(),
  Id: z.string(),
  Created: z.string(),
  Scope: z.string(),
  Driver: z.string(),
  EnableIPv6: z.boolean(),
  IPAM: z.looseObject({
    Driver: z.string(),
    Config: listOf(z.looseObject({ Subnet: z.string().optional(), Gateway: z.string().optional() })),
    Options: stringMap.nullish(),
  }),
  Internal: z.boolean(),
  Attachable: z.boolean(),
  Containers: z
    .record(
      z.string(),
      z.looseObject({
        Name: z.string(),
        EndpointID: z.string(),
        MacAddress: z.string(),
        IPv4Address: z.string(),
        IPv6Address: z.string().optional(),
      }),
    )
    .nullish()
    .transform((v) => v ?? {}),
  Options: labels,
  Labels: labels,
});
export type NetworkInspectInfo = z.infer<typeof NetworkSchema>;

export const NetworkCreateResponseSchema = z.looseObject({ Id: z.string(), Warning: z.string().nullish() });

export const PruneNetworksSchema = z.looseObject({
  NetworksDeleted: listOf(z.string()),
});

export const VolumeSchema = z.looseObject({
  Name: z.string(),
  Driver: z.string(),
  Mountpoint: z.string(),
  CreatedAt: z.string().optional(),
  Labels: labels,
  Scope: z.string(),
  Options: labels,
});
export type VolumeInspectInfo = z.infer<typeof VolumeSchema>;

export const VolumeListSchema = z.looseObject({
  Volumes: listOf(VolumeSchema),
  Warnings: listOf(z.string()),
});
export type VolumeList = z.infer<typeof VolumeListSchema>;

export const PruneVolumesSchema = z.looseObject({
  VolumesDeleted: listOf(z.string()),
  SpaceReclaimed: z.number(),
});

export const VersionSchema = z.looseObject({
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string().optional(),
  Os: z.string(),
  Arch: z.string(),
  KernelVersion: z.string().optional(),
  GitCommit: z.string().optional(),
  GoVersion: z.string().optional(),
  Components: z.array(z.looseObject({ Name: z.string(), Version: z.string() })).optional(),
});
export type VersionInfo = z.infer<typeof VersionSchema>;

export const InfoSchema = z.looseObject({
  ID: z.string().optional(),
  Containers: z.number(),
  ContainersRunning: z.number(),
  ContainersPaused: z.number(),
  ContainersStopped: z.number(),
  Images: z.number(),
  Driver: z.string(),
  OSType: z.string(),
  Architecture: z.string().optional(),
  ServerVersion: z.string(),
  DockerRootDir: z.string().optional(),
  CgroupVersion: z.string().optional(),
  NCPU: z.number().optional(),
  MemTotal: z.number().optional(),
});
export type SystemInfo = z.infer<typeof InfoSchema>;

export const EventSchema = z.looseObject({
  Type: z.string(),
  Action: z.string(),
  Actor: z.looseObject({
    ID: z.string(),
    Attributes: stringMap.nullish().transform((v) => v ?? {}),
  }),
  scope: z.string().optional(),
  time: z.number(),
  timeNano: z.number(),
});
export type DockerEvent = z.infer<typeof EventSchema>;

/** One line of a pull/push/build/load progress stream. */
export const ProgressEventSchema = z.looseObject({
  status: z.string().optional(),
  id: z.string().optional(),
  progress: z.string().optional(),
  progressDetail: z.looseObject({ current: z.number().optional(), total: z.number().optional() }).optional(),
  stream: z.string().optional(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ message: z.string().optional(), code: z.number().optional() }).optional(),
  aux: z
    .looseObject({ ID: z.string().optional(), Tag: z.string().optional(), Digest: z.string().optional() })
    .optional(),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

/** `X-Docker-Container-Path-Stat` of an archive request. */
export const PathStatSchema = z.looseObject({
  name: z.string(),
  size: z.number(),
  mode: z.number(),
  mtime: z.string(),
  linkTarget: z.string(),
});
export type PathStat = z.infer<typeof PathStatSchema>;
