import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface Bind {
  source: string;
  target: string;
  readonly: boolean;
}

/**
 * The read-only binds that give a box its `docker`/`dockyard` (the nested engine, see infra/box-toolchain):
 * one fixed toolchain version, the host's node, and the host's base image cache. Null when the toolchain was
 * never built, so boxes still start (without docker) and the caller can say so.
 */
export function toolchainBinds(
  toolchainDir: string,
  imageCacheDir: string,
  node = process.execPath,
): Bind[] | null {
  if (!existsSync(join(toolchainDir, 'bin/dockyard'))) return null;
  // A rebuild swaps `current`; a running box keeps the version it was started with.
  const version = realpathSync(toolchainDir);
  return [
    { source: version, target: '/opt/dockyard', readonly: true },
    { source: node, target: '/opt/dockyard/bin/node', readonly: true },
    { source: imageCacheDir, target: '/opt/dockyard/images', readonly: true },
    { source: join(version, 'bin/dockyard'), target: '/usr/local/bin/dockyard', readonly: true },
    { source: join(version, 'bin/dockyard'), target: '/usr/local/bin/docker', readonly: true },
  ];
}

/** What `docker` is inside a box: our daemonless CLI, or Docker's own client talking to a nested daemon. */
export type BoxDockerMode = 'cli' | 'client';

/** Where the nested daemon listens inside a box (client mode). */
export const BOX_DOCKER_SOCKET = '/run/docker.sock';

/**
 * docker-compose 1.x (the lab image's) otherwise negotiates the engine's newest API, whose image inspect has no
 * `ContainerConfig` any more (as in Docker ≥ 25), and then fails recreating a service with KeyError 'ContainerConfig'.
 * 1.41 is the API of the Docker client in the box.
 */
const COMPOSE_ENV = ['COMPOSE_API_VERSION=1.41'];

export interface BoxToolchain {
  binds: Bind[];
  /** The toolchain's box-init (a PID 1 nothing in the box can end), when this toolchain has one. */
  init: { binary: string; args: string[] } | null;
  /** Environment for every process in the box. */
  env: string[];
}

/**
 * Everything a box gets from the toolchain: its binds, its init, and in `client` mode Docker's own client as
 * `docker` with DOCKER_HOST on the socket of a nested `dockyard daemon` that the box's init starts on first use.
 * `dockyard` is our CLI in both modes. Null when the toolchain was never built.
 */
export function boxToolchain(
  toolchainDir: string,
  imageCacheDir: string,
  opts: { docker?: BoxDockerMode; node?: string } = {},
): BoxToolchain | null {
  const binds = toolchainBinds(toolchainDir, imageCacheDir, opts.node);
  if (!binds) return null;
  const version = realpathSync(toolchainDir);
  const initBinary = join(version, 'bin/box-init');
  const hasInit = existsSync(initBinary);
  if (opts.docker !== 'client') {
    return { binds, init: hasInit ? { binary: initBinary, args: [] } : null, env: COMPOSE_ENV };
  }
  if (!hasInit || !existsSync(join(version, 'bin/docker-client'))) {
    throw new Error(
      `${version} has no box-init or docker client: rebuild it with infra/box-toolchain/build.sh`,
    );
  }
  return {
    binds: binds.map((bind) =>
      bind.target === '/usr/local/bin/docker'
        ? { ...bind, source: join(version, 'bin/docker-wrapper') }
        : bind,
    ),
    init: { binary: initBinary, args: ['--on-demand', '/opt/dockyard/bin/docker-daemon'] },
    env: [`DOCKER_HOST=unix://${BOX_DOCKER_SOCKET}`, ...COMPOSE_ENV],
  };
}
