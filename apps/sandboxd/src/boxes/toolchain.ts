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
