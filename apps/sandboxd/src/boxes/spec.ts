import { ALL_CAPS } from '@dockyard/runtime/capabilities';

/**
 * The OCI config of a lab box: a machine-in-a-machine. Root inside a user namespace with an exclusive uid range,
 * every capability there, its own pid/mount/uts/ipc/net/cgroup namespaces, /proc and /sys unmasked (any overmount
 * on /proc blocks the nested `mount -t proc` that `unshare --mount-proc` and nested containers need), and a
 * delegated cgroup subtree mounted like the host's so a nested engine can set limits inside the box's own.
 */

export interface BoxSpecInput {
  id: string;
  rootfs: string;
  hostname: string;
  /** First host uid/gid of the box's exclusive range; the box sees it as 0. */
  idBase: number;
  idCount: number;
  cgroupsPath: string;
  limits: { memoryBytes: number; memorySwapBytes: number; pids: number; cpus: number };
  /** Host paths bind-mounted read-only into the box (init binary, nested engine, …): target → source. */
  binds: Array<{ source: string; target: string; readonly: boolean }>;
  tmpSizeBytes: number;
  /** Arguments of the init after its path (default: tini running `sleep infinity`). */
  initArgs?: string[];
  /** More environment for the init (and so for whatever it starts). */
  env?: string[];
  /** /dev/net/tun made on the host, owned by the box's root. */
  tunDevice?: string;
}

// Every capability except CAP_SYS_RESOURCE, which this VM's bounding set lacks; they only count inside the userns.
export const BOX_CAPS = ALL_CAPS.filter((cap) => cap !== 'CAP_SYS_RESOURCE');

export const BOX_INIT = '/.dockyard/init';
/** tini's arguments: it lives as long as its one child. */
export const TINI_ARGS = ['-s', '--', 'sleep', 'infinity'];

export function boxSpec(input: BoxSpecInput): Record<string, unknown> {
  return {
    ociVersion: '1.0.2',
    hostname: input.hostname,
    root: { path: input.rootfs, readonly: false },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [BOX_INIT, ...(input.initArgs ?? TINI_ARGS)],
      env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'TERM=xterm-256color',
        'HOME=/root',
        ...(input.env ?? []),
      ],
      cwd: '/root',
      capabilities: {
        bounding: BOX_CAPS,
        effective: BOX_CAPS,
        permitted: BOX_CAPS,
        inheritable: [],
        ambient: [],
      },
      noNewPrivileges: false,
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      // The runtime provides the default device nodes (bind-mounted from the host inside a userns).
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      ...(input.tunDevice
        ? [
            {
              destination: '/dev/net/tun',
              type: 'bind',
              source: input.tunDevice,
              options: ['bind', 'nosuid', 'noexec'],
            },
          ]
        : []),
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'rw'] },
      // One cgroup mount: the runtime lays out the host's hierarchies (v1 controllers or v2) under it, each
      // rooted at the box's own cgroup through the cgroup namespace.
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'rw'],
      },
      {
        destination: '/run',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=755', 'size=16m'],
      },
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777', `size=${Math.floor(input.tmpSizeBytes / 1024)}k`],
      },
      ...input.binds.map((bind) => ({
        destination: bind.target,
        type: 'bind',
        source: bind.source,
        // Recursive: inside the box's userns a plain bind of a source with submounts fails (EINVAL), since it
        // would uncover what those mounts hide.
        options: ['rbind', 'nosuid', 'nodev', ...(bind.readonly ? ['ro'] : ['rw'])],
      })),
    ],
    linux: {
      uidMappings: [{ containerID: 0, hostID: input.idBase, size: input.idCount }],
      gidMappings: [{ containerID: 0, hostID: input.idBase, size: input.idCount }],
      namespaces: [
        { type: 'user' },
        { type: 'pid' },
        { type: 'mount' },
        { type: 'uts' },
        { type: 'ipc' },
        { type: 'cgroup' },
        // A new netns owned by the box's userns: sysfs can only be mounted by the owner of the netns.
        // sandboxd moves the box's veth into it after create.
        { type: 'network' },
      ],
      cgroupsPath: input.cgroupsPath,
      resources: {
        memory: { limit: input.limits.memoryBytes, swap: input.limits.memorySwapBytes },
        pids: { limit: input.limits.pids },
        cpu: { quota: Math.round(input.limits.cpus * 100000), period: 100000 },
      },
      rootfsPropagation: 'private',
    },
  };
}
