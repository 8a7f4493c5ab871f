import type { MountSpec } from '../containers/record.js';

/** Docker's default capability set (CAP_SYS_RESOURCE is not in it, and not in this VM's bounding set anyway). */
export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface SpecInput {
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  terminal: boolean;
  hostname: string;
  cgroupsPath: string;
  /** undefined: new netns; 'host': share the host's; otherwise a netns path to join. */
  netns: string | undefined;
  /** Files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  mounts: MountSpec[];
  memory: number;
  memorySwap: number;
  nanoCpus: number;
  pidsLimit: number;
  /** cpu.shares on cgroup v1 (the runtime converts it to cpu.weight on v2); 0 = the kernel's default. */
  cpuShares?: number;
  /** The process's bounding/effective/permitted set; Docker's defaults when absent. */
  capabilities?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: Record<string, unknown> & { args: string[]; env: string[]; cwd: string; terminal: boolean };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: Record<string, unknown>;
}

export function buildResources(r: {
  memory: number;
  memorySwap: number;
  nanoCpus: number;
  pidsLimit: number;
  cpuShares?: number;
}) {
  const resources: Record<string, unknown> = {};
  if (r.memory > 0) {
    // docker: --memory-swap is memory+swap; unset means twice the memory; -1 unlimited.
    const swap = r.memorySwap === 0 ? r.memory * 2 : r.memorySwap;
    resources.memory = { limit: r.memory, swap };
  }
  const cpu: Record<string, number> = {};
  if (r.nanoCpus > 0) {
    cpu.period = 100_000;
    cpu.quota = Math.round((r.nanoCpus / 1e9) * cpu.period);
  }
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  return resources;
}

const DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

/** config.json for a container, shaped like the one dockerd hands to runc. */
export function buildSpec(i: SpecInput): OciSpec {
  const caps = i.capabilities ?? DEFAULT_CAPS;
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (i.netns !== 'host') namespaces.push(i.netns ? { type: 'network', path: i.netns } : { type: 'network' });
  const mounts: OciSpec['mounts'] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: i.etcFiles.resolvConf,
      options: ['rbind', 'rprivate'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: i.etcFiles.hostname,
      options: ['rbind', 'rprivate'],
    },
    { destination: '/etc/hosts', type: 'bind', source: i.etcFiles.hosts, options: ['rbind', 'rprivate'] },
  ];
  for (const m of i.mounts) {
    mounts.push({
      destination: m.destination,
      type: 'bind',
      source: m.source,
      options: ['rbind', 'rprivate', m.rw ? 'rw' : 'ro'],
    });
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: i.terminal,
      user: { uid: i.user.uid, gid: i.user.gid, additionalGids: i.user.additionalGids },
      args: i.args,
      env: i.env,
      cwd: i.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: i.rootfs, readonly: false },
    hostname: i.netns === 'host' ? undefined : i.hostname,
    mounts,
    linux: {
      cgroupsPath: i.cgroupsPath,
      namespaces,
      resources: { devices: DEVICE_RULES, ...buildResources(i) },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
