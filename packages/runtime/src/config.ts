import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/runtime, resolved from this file so the CLI works from any cwd. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(packageRoot, '../..');

export interface EngineConfig {
  /** Persistent state: images, layers, containers, volumes. */
  root: string;
  /** Volatile state: shim state dirs, OCI runtime state, netns files. */
  run: string;
  /** Absolute path of the OCI runtime binary. */
  runtime: string;
  runtimeName: string;
  /** Parent of every container's cgroup; tests set a unique one. */
  cgroupParent: string;
  shim: string;
  /** argv prefix that runs this CLI (used for dyshim's --exit-command). */
  selfCommand: string[];
}

function which(cmd: string): string {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return cmd;
}

export function resolveRuntime(name: string): string {
  if (name === 'dyrt') return path.join(packageRoot, 'native/bin/dyrt');
  if (path.isAbsolute(name)) return name;
  return which(name);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const runtimeName = env.DOCKYARD_OCI_RUNTIME || 'dyrt';
  const parent = env.DOCKYARD_CGROUP_PARENT || '/dockyard';
  return {
    root: path.resolve(env.DOCKYARD_ROOT || '/var/lib/dockyard'),
    run: path.resolve(env.DOCKYARD_RUN || '/run/dockyard'),
    runtime: resolveRuntime(runtimeName),
    runtimeName,
    cgroupParent: parent.startsWith('/') ? parent : `/${parent}`,
    shim: env.DOCKYARD_SHIM || path.join(packageRoot, 'native/bin/dyshim'),
    selfCommand: [process.execPath, path.join(packageRoot, 'bin/dockyard.mjs')],
  };
}
