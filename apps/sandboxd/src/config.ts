import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BoxDockerMode } from './boxes/toolchain.js';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const size = z.coerce.number().int().positive();

/** `docker` in a box unless SANDBOXD_BOX_DOCKER says otherwise: Docker's own client on a nested daemon. */
export const DEFAULT_BOX_DOCKER: BoxDockerMode = 'client';

/** sandboxd's settings, from the environment (infra/systemd passes them); everything has a safe default. */
export const configSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(4100),
  /** Shared with the web app, which signs lab tokens with it. */
  tokenSecret: z.string().min(32, 'SANDBOXD_TOKEN_SECRET must be at least 32 characters'),
  /** Origins allowed to open the socket (the web app's URL). */
  allowedOrigins: z.array(z.string()).default([]),
  dataRoot: z.string().default('/var/lib/dockyard/sandboxd'),
  runRoot: z.string().default('/run/dockyard/sandboxd'),
  /** Lesson folders (lesson.yaml, files/, setup): boxes are prepared from them, checks read from them. */
  lessonsDir: z.string().default(join(repoRoot, 'lessons')),
  /** How long a lesson's `lab.setup` may run in a box before it counts as failed. */
  lessonSetupTimeoutSeconds: size.default(300),
  imageRootfs: z.string().default('/var/cache/dockyard/images/lab-debian/rootfs'),
  /** The nested engine every box binds read-only (infra/box-toolchain/build.sh). */
  toolchainDir: z.string().default('/var/cache/dockyard/box-toolchain/current'),
  /** `docker` in a box: our daemonless CLI (`cli`), or Docker's own client with a nested `dockyard daemon` (`client`). */
  boxDocker: z.enum(['cli', 'client']).default(DEFAULT_BOX_DOCKER),
  /** Base image cache the nested engines import from (infra/images). */
  imageCacheDir: z.string().default('/var/cache/dockyard/images'),
  idBase: size.default(1_000_000),
  maxBoxes: size.default(40),
  bridge: z.string().max(15).default('dylab0'),
  subnet: z.string().default('10.231.0.0/16'),
  cgroupParent: z.string().default('/dockyard-labs'),
  // Per-box limits: what a box gets unless its lesson asks for less, and the most a lesson can ask for.
  memoryBytes: size.default(1024 * 1024 * 1024),
  pids: size.default(1024),
  cpus: z.coerce.number().positive().default(1),
  tmpBytes: size.default(512 * 1024 * 1024),
  /** Each box's writable layer is an ext4 image of this size (0 = uncapped plain directory). */
  diskBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(2 * 1024 * 1024 * 1024),
  /** Compressed size cap of a saved writable layer; larger ones are not kept. */
  saveMaxBytes: size.default(256 * 1024 * 1024),
  maxBoxesPerUser: size.default(1),
  /** A box without terminal input, file or check activity for this long is saved and reaped. */
  idleTimeoutSeconds: size.default(30 * 60),
  maxLifetimeSeconds: size.default(6 * 60 * 60),
  reapIntervalSeconds: size.default(30),
  /** Unowned boxes kept started so "Start lab" is near-instant (0 = none). */
  poolSize: z.coerce.number().int().min(0).default(2),
});
export type SandboxdConfig = z.infer<typeof configSchema>;

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxdConfig {
  return configSchema.parse({
    host: env.SANDBOXD_HOST,
    port: env.SANDBOXD_PORT,
    tokenSecret: env.SANDBOXD_TOKEN_SECRET,
    allowedOrigins: env.SANDBOXD_ALLOWED_ORIGINS?.split(',').filter(Boolean),
    dataRoot: env.SANDBOXD_DATA_ROOT,
    runRoot: env.SANDBOXD_RUN_ROOT,
    lessonsDir: env.SANDBOXD_LESSONS_DIR ?? env.LESSONS_DIR,
    lessonSetupTimeoutSeconds: env.SANDBOXD_LESSON_SETUP_TIMEOUT_SECONDS,
    imageRootfs: env.SANDBOXD_IMAGE_ROOTFS,
    toolchainDir: env.SANDBOXD_TOOLCHAIN_DIR,
    imageCacheDir: env.SANDBOXD_IMAGE_CACHE_DIR,
    boxDocker: env.SANDBOXD_BOX_DOCKER,
    idBase: env.SANDBOXD_ID_BASE,
    maxBoxes: env.SANDBOXD_MAX_BOXES,
    bridge: env.SANDBOXD_BRIDGE,
    subnet: env.SANDBOXD_SUBNET,
    cgroupParent: env.SANDBOXD_CGROUP_PARENT,
    memoryBytes: env.SANDBOXD_BOX_MEMORY_BYTES,
    pids: env.SANDBOXD_BOX_PIDS,
    cpus: env.SANDBOXD_BOX_CPUS,
    tmpBytes: env.SANDBOXD_BOX_TMP_BYTES,
    diskBytes: env.SANDBOXD_BOX_DISK_BYTES,
    saveMaxBytes: env.SANDBOXD_SAVE_MAX_BYTES,
    maxBoxesPerUser: env.SANDBOXD_MAX_BOXES_PER_USER,
    idleTimeoutSeconds: env.SANDBOXD_IDLE_TIMEOUT_SECONDS,
    maxLifetimeSeconds: env.SANDBOXD_MAX_LIFETIME_SECONDS,
    reapIntervalSeconds: env.SANDBOXD_REAP_INTERVAL_SECONDS,
    poolSize: env.SANDBOXD_POOL_SIZE,
  });
}
