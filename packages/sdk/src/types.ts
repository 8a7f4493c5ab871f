/** Request shapes of the Engine API (the subset this engine serves), named as Docker names them. */

/** Docker's filters: `{ label: ['a=b'], status: ['running'] }`. */
export type Filters = Record<string, string[]>;

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

export interface HostConfig {
  Binds?: string[];
  Mounts?: MountSpec[];
  PortBindings?: Record<string, PortBinding[]>;
  PublishAllPorts?: boolean;
  NetworkMode?: string;
  AutoRemove?: boolean;
  RestartPolicy?: RestartPolicy;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number;
  Init?: boolean;
  Privileged?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  ReadonlyRootfs?: boolean;
  Tmpfs?: Record<string, string>;
  ExtraHosts?: string[];
  Dns?: string[];
  VolumesFrom?: string[];
}

export interface EndpointConfig {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string };
  Links?: string[];
}

export interface ContainerCreateOptions {
  /** Sent as the `name` query parameter. */
  name?: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig> };
}

export interface ListContainersOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  timestamps?: boolean;
  /** A number of lines or 'all'. */
  tail?: number | 'all';
  since?: number;
  until?: number;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export interface ExecCreateOptions {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number];
}

export interface ExecStartOptions {
  Detach?: boolean;
  Tty?: boolean;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
}

export interface UpdateOptions {
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number;
  RestartPolicy?: RestartPolicy;
}

export interface ListImagesOptions {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

export interface BuildOptions {
  /** Tag(s) for the result (`t`, repeatable). */
  t?: string | string[];
  dockerfile?: string;
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  nocache?: boolean;
  rm?: boolean;
  forcerm?: boolean;
  pull?: boolean;
  q?: boolean;
}

export interface NetworkCreateOptions {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: {
    Driver?: string;
    Config?: { Subnet?: string; Gateway?: string }[];
    Options?: Record<string, string>;
  };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface NetworkConnectOptions {
  Container: string;
  EndpointConfig?: EndpointConfig;
}

export interface NetworkDisconnectOptions {
  Container: string;
  Force?: boolean;
}

export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface EventsOptions {
  since?: number | string;
  until?: number | string;
  filters?: Filters;
}
