// zod schemas for lesson.yaml and every check kind. Objects are strict: unknown keys are errors.

import { labLimitsSchema as tokenLabLimitsSchema } from '@dockyard/protocol';
import { z } from 'zod';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const TOPICS = [
  'intro',
  'namespaces',
  'rootfs',
  'cgroups',
  'unionfs',
  'networking',
  'images',
  'docker',
  'security',
  'homework',
] as const;
export type Topic = (typeof TOPICS)[number];

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const kebabId = z.string().regex(KEBAB, 'must be kebab-case (a-z, 0-9, single dashes)');

const text = z.string().trim().min(1, 'must not be empty');
export const localized = z.strictObject({ 'zh-CN': text, en: text });
export type Localized = z.infer<typeof localized>;

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

/** A path inside the lesson folder: relative, no `..`, no backslashes. */
export const lessonPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((seg) => seg === '..'), {
    message: 'must be a relative path inside the lesson folder (no leading /, no ..)',
  });

export const SIZE = /^\d+(?:\.\d+)?(?:KiB|MiB|GiB|TiB)$/;
const size = z.union([z.number().int().nonnegative(), z.string().regex(SIZE, 'must be a size like 64MiB')]);
const int = z.number().int();
const nonNegInt = z.number().int().nonnegative();
const port = z.number().int().min(1).max(65535);
const relation = z.enum(['same-as-box', 'differs-from-box']);

const where = z
  .string()
  .regex(/^(?:box|container:[A-Za-z0-9][A-Za-z0-9_.-]*)$/, 'must be "box" or "container:<name>"');

const common = {
  id: kebabId.optional(),
  in: where.optional(),
  hint: localized,
};

export const processCheck = z.strictObject({
  kind: z.literal('process'),
  ...common,
  match: regex,
  expect: z
    .strictObject({
      pidns: relation.optional(),
      'pid-in-ns': int.positive().optional(),
      uid: nonNegInt.optional(),
      'count-min': nonNegInt.optional(),
      running: z.boolean().optional(),
      /** The process's root directory (after chroot/pivot_root) is this path of the box. */
      root: z.string().startsWith('/', 'must start with /').optional(),
    })
    .optional(),
});

export const namespaceCheck = z
  .strictObject({
    kind: z.literal('namespace'),
    ...common,
    match: regex.optional(),
    /** A namespace kept alive as a file in the box (e.g. `unshare --uts=/run/keep-uts`). */
    path: z.string().startsWith('/', 'must start with /').optional(),
    type: z.enum(['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time']),
    expect: z.strictObject({
      relation: relation.optional(),
      hostname: z.string().optional(),
      'uid-map': z
        .string()
        .regex(/^\d+ \d+ \d+$/, 'must look like "0 1000 1"')
        .optional(),
    }),
  })
  .refine((c) => (c.match === undefined) !== (c.path === undefined), {
    message: 'a namespace check needs exactly one of "match" or "path"',
  });

export const cgroupCheck = z
  .strictObject({
    kind: z.literal('cgroup'),
    ...common,
    path: z.string().startsWith('/', 'must start with /').optional(),
    match: regex.optional(),
    expect: z.strictObject({
      memory: size.optional(),
      'memory-swap': size.optional(),
      pids: nonNegInt.optional(),
      cpus: z.number().positive().optional(),
      'cpu-shares': nonNegInt.optional(),
      'contains-process': regex.optional(),
      // Kernel state normalized across v1 and v2 (see packages/grader/src/checks/cgroup.ts for the files read).
      frozen: z.boolean().optional(),
      'memory-peak-min': size.optional(),
      'oom-kills-min': nonNegInt.optional(),
      'nr-periods-min': nonNegInt.optional(),
      'cpu-throttled-min': nonNegInt.optional(),
      /**
       * cgroupfs files of the cgroup and a regex each must match, e.g. { pids.events: "max [1-9]" }; a key may
       * name alternatives, "memory.peak|memory.max_usage_in_bytes" (v2 first, then v1): the first that exists is read.
       */
      files: z
        .record(
          z
            .string()
            .regex(
              /^[a-z][a-z0-9_]*\.[a-z0-9_.]+(?:\|[a-z][a-z0-9_]*\.[a-z0-9_.]+)*$/,
              'must be a cgroupfs file name, or alternatives like memory.peak|memory.max_usage_in_bytes',
            ),
          regex,
        )
        .optional(),
    }),
  })
  .refine((c) => (c.path === undefined) !== (c.match === undefined), {
    message: 'a cgroup check needs exactly one of "path" or "match"',
  });

export const mountCheck = z.strictObject({
  kind: z.literal('mount'),
  ...common,
  target: z.string().min(1),
  /** Judge the mount namespace of the process whose command line matches, instead of the box's own. */
  match: regex.optional(),
  expect: z
    .strictObject({
      fstype: z.string().optional(),
      /** Regex on the mount's root inside its filesystem (mountinfo's 4th field). */
      root: regex.optional(),
      source: regex.optional(),
      options: z.array(z.string()).optional(),
      overlay: z
        .strictObject({
          'lower-count-min': nonNegInt.optional(),
          upper: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  absent: z.boolean().optional(),
});

export const fileCheck = z.strictObject({
  kind: z.literal('file'),
  ...common,
  path: z.string().min(1),
  expect: z.strictObject({
    exists: z.boolean().optional(),
    type: z.enum(['file', 'dir', 'symlink', 'char', 'fifo', 'socket']).optional(),
    content: regex.optional(),
    mode: z
      .string()
      .regex(/^0?[0-7]{3,4}$/, 'must be an octal mode like "0644"')
      .optional(),
    owner: z
      .string()
      .regex(/^\d+:\d+$/, 'must be "uid:gid"')
      .optional(),
    'link-target': z.string().optional(),
  }),
});

const cidrOrIp = z.string().regex(/^[0-9a-fA-F:.]+(?:\/\d{1,3})?$/, 'must be an IP address or CIDR');

export const netnsCheck = z.strictObject({
  kind: z.literal('netns'),
  ...common,
  name: z.string().min(1).optional(),
  expect: z.strictObject({
    exists: z.boolean().optional(),
    links: z
      .array(
        z.strictObject({
          name: z.string().optional(),
          type: z.enum(['veth', 'bridge', 'loopback', 'any']).optional(),
          up: z.boolean().optional(),
          address: cidrOrIp.optional(),
          master: z.string().optional(),
        }),
      )
      .optional(),
    routes: z
      .array(
        z.strictObject({
          dst: z.union([z.literal('default'), cidrOrIp]),
          via: cidrOrIp.optional(),
          dev: z.string().optional(),
        }),
      )
      .optional(),
    ping: z.strictObject({ to: cidrOrIp, 'from-netns': z.string().optional() }).optional(),
  }),
});

export const iptablesCheck = z.strictObject({
  kind: z.literal('iptables'),
  id: common.id,
  hint: common.hint,
  in: z
    .string()
    .regex(/^(?:box|netns:[A-Za-z0-9][A-Za-z0-9_.-]*)$/, 'must be "box" or "netns:<name>"')
    .optional(),
  table: z.enum(['filter', 'nat', 'mangle']),
  chain: z.string().min(1),
  expect: z.strictObject({
    rule: regex.optional(),
    target: z.enum(['DNAT', 'MASQUERADE', 'SNAT', 'ACCEPT', 'DROP', 'REJECT']).optional(),
    dport: port.optional(),
    to: z
      .string()
      .regex(/^[0-9.]+(?::\d+)?$/, 'must be "ip:port"')
      .optional(),
  }),
});

export const containerCheck = z.strictObject({
  kind: z.literal('container'),
  ...common,
  name: z.string().min(1),
  expect: z.strictObject({
    state: z.enum(['running', 'exited', 'paused', 'created']).optional(),
    image: z.string().optional(),
    'exit-code': int.optional(),
    ports: z
      .array(
        z.string().regex(/^(?:[0-9.]+:)?\d+:\d+(?:\/(?:tcp|udp))?$/, 'must look like 127.0.0.1:8080:80/tcp'),
      )
      .optional(),
    memory: size.optional(),
    pids: nonNegInt.optional(),
    cpus: z.number().positive().optional(),
    network: z.string().optional(),
    networks: z.array(z.string()).optional(),
    mounts: z
      .array(
        z.strictObject({
          source: z.string().optional(),
          destination: z.string(),
          type: z.enum(['bind', 'volume']).optional(),
        }),
      )
      .optional(),
    restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
    env: z.array(z.string().regex(/^[^=]+=/, 'must be "K=V"')).optional(),
    hostname: z.string().optional(),
  }),
});

export const imageCheck = z.strictObject({
  kind: z.literal('image'),
  ...common,
  ref: z.string().min(1),
  expect: z.strictObject({
    exists: z.boolean().optional(),
    'layers-min': nonNegInt.optional(),
    'layers-max': nonNegInt.optional(),
    'size-max': size.optional(),
    label: z.record(z.string(), z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    env: z.array(z.string().regex(/^[^=]+=/, 'must be "K=V"')).optional(),
    exposed: z.array(z.string().regex(/^\d+\/(?:tcp|udp)$/, 'must look like 80/tcp')).optional(),
    user: z.string().optional(),
    healthcheck: z.boolean().optional(),
    onbuild: z.boolean().optional(),
  }),
});

export const httpCheck = z
  .strictObject({
    kind: z.literal('http'),
    ...common,
    port: port.optional(),
    published: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*:\d+$/, 'must be "<container>:<port>"')
      .optional(),
    path: z.string().startsWith('/', 'must start with /').optional(),
    expect: z.strictObject({ status: int.optional(), body: regex.optional() }),
  })
  .refine((c) => (c.port === undefined) !== (c.published === undefined), {
    message: 'an http check needs exactly one of "port" or "published"',
  });

/**
 * Host binaries a command check may run in the box's namespaces (the grader refuses others): they run with the
 * host's filesystem, so only inspection tools, and never inside the box's mount namespace.
 */
export const COMMAND_CHECK_BINARIES = [
  'ip',
  'ss',
  'iptables',
  'iptables-save',
  'ping',
  'hostname',
  'bridge',
  'nstat',
  'lsns',
  'ipcs',
] as const;

export const commandCheck = z.strictObject({
  kind: z.literal('command'),
  ...common,
  run: z
    .array(z.string().min(1))
    .min(1)
    .refine((argv) => (COMMAND_CHECK_BINARIES as readonly string[]).includes(argv[0] ?? ''), {
      message: `must start with one of: ${COMMAND_CHECK_BINARIES.join(', ')} (use file, mount or cgroup checks to look at the box's files)`,
    }),
  /** Enter the namespaces of the process matching this regex instead of the box's. */
  match: regex.optional(),
  ns: z.array(z.enum(['net', 'pid', 'uts', 'ipc', 'user'])).optional(),
  expect: z.strictObject({ exit: int.optional(), stdout: regex.optional(), stderr: regex.optional() }),
});

export const quizCheck = z.strictObject({
  kind: z.literal('quiz'),
  id: common.id,
  in: common.in,
  question: kebabIdOrWord(),
});

export const scriptCheck = z.strictObject({
  kind: z.literal('script'),
  ...common,
  file: lessonPath,
  expect: z.strictObject({ exit: int.optional() }).optional(),
});

function kebabIdOrWord() {
  return z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a quiz id (letters, digits, - and _)');
}

export const CHECK_KINDS = [
  'process',
  'namespace',
  'cgroup',
  'mount',
  'file',
  'netns',
  'iptables',
  'container',
  'image',
  'http',
  'command',
  'quiz',
  'script',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const checkSchema = z.discriminatedUnion('kind', [
  processCheck,
  namespaceCheck,
  cgroupCheck,
  mountCheck,
  fileCheck,
  netnsCheck,
  iptablesCheck,
  containerCheck,
  imageCheck,
  httpCheck,
  commandCheck,
  quizCheck,
  scriptCheck,
]);
export type Check = z.infer<typeof checkSchema>;

export const stepSchema = z.strictObject({
  id: kebabId,
  checks: z.array(checkSchema).min(1, 'a step needs at least one check'),
});
export type Step = z.infer<typeof stepSchema>;

/**
 * What a lesson's box needs at most (sandboxd clamps each to the host's maxima; absent = host defaults). The same
 * fields travel in the signed lab token, so the token's schema is the one definition.
 */
export const labLimitsSchema = tokenLabLimitsSchema.refine(
  (l) => l.idleMinutes === undefined || l.lifetimeMinutes === undefined || l.idleMinutes <= l.lifetimeMinutes,
  { message: 'idleMinutes cannot exceed lifetimeMinutes', path: ['idleMinutes'] },
);
export type LabLimits = z.infer<typeof labLimitsSchema>;

export const labSchema = z.strictObject({
  image: z.enum(['lab-debian', 'lab-dev']).default('lab-debian'),
  setup: lessonPath.optional(),
  terminals: z.number().int().min(1).max(4).default(1),
  limits: labLimitsSchema.optional(),
});
export type Lab = z.infer<typeof labSchema>;

export const lessonYamlSchema = z.strictObject({
  id: kebabId,
  title: localized,
  summary: localized,
  topic: z.enum(TOPICS),
  level: z.number().int().min(0).max(3),
  minutes: z.number().int().positive(),
  requires: z.array(kebabId).default([]),
  lab: labSchema.default({ image: 'lab-debian', terminals: 1 }),
  steps: z.array(stepSchema).min(1, 'a lesson needs at least one step'),
});
export type LessonYaml = z.infer<typeof lessonYamlSchema>;
