import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { buildSpec, DEFAULT_CAPS } from '../oci/spec.js';
import { resolveUser } from '../oci/user.js';
import { writeJsonAtomic } from '../state/files.js';
import { allSettledOrThrow } from '../util/all-settled.js';
import { lookPathInRoot, resolveInRoot } from '../util/rootpath.js';
import { exitNotifySocket } from './exit-notify.js';
import { isHealthEnabled } from './healthcheck.js';
import { effectiveCaps } from './hostconfig.js';
import { resolveLinks } from './links.js';
import { etcFiles, setupNetworking, teardownNetworking } from './networking.js';
import type { ContainerRecord } from './record.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { cleanRuntimeError } from './runtime.js';
import { loadShim } from './shim.js';

export interface StartHooks {
  /** Runs after the shim holds the container's stdio and before the process starts (attach here to miss nothing). */
  beforeStart?: (rec: ContainerRecord) => Promise<void>;
}

export const containerArgs = (rec: ContainerRecord) => [
  ...(rec.config.entrypoint ?? []),
  ...(rec.config.cmd ?? []),
];

/** The command dyshim runs when the container exits: this CLI's internal `container cleanup`. */
export function exitCommand(engine: Engine, id: string, generation: number): string[] {
  const c = engine.cfg;
  return [
    `DOCKYARD_ROOT=${c.root}`,
    `DOCKYARD_RUN=${c.run}`,
    `DOCKYARD_OCI_RUNTIME=${c.runtimeName}`,
    `DOCKYARD_CGROUP_PARENT=${c.cgroupParent}`,
    ...c.selfCommand,
    'container',
    'cleanup',
    id,
    String(generation),
  ];
}

export async function startContainer(
  engine: Engine,
  ref: string,
  hooks: StartHooks = {},
): Promise<ContainerRecord> {
  const found = await engine.containers.get(ref);
  return engine.containers.withLock(found.id, async () => {
    const rec = (await engine.containers.load(found.id)) ?? found;
    if (rec.state.status === 'running' || rec.state.status === 'paused') {
      const exited = await fs.access(path.join(engine.containers.shimDir(rec.id), 'exit')).then(
        () => true,
        () => false,
      );
      if (!exited) return rec;
      // It exited and its cleanup has not run yet: do it now, then start again.
      const { cleanupLocked } = await import('./cleanup.js');
      await cleanupLocked(engine, rec, { applyPolicy: false });
    }
    if (rec.state.status === 'removing' || rec.state.status === 'dead') {
      throw new DockyardError(
        `Error response from daemon: container ${rec.id} is marked for removal and cannot be started`,
      );
    }
    await startLocked(engine, rec, hooks);
    return rec;
  });
}

/** Starts a container whose lock the caller holds. On failure everything made here is undone. */
export async function startLocked(
  engine: Engine,
  rec: ContainerRecord,
  hooks: StartHooks = {},
): Promise<void> {
  const dir = engine.containers.dir(rec.id);
  const shimDir = engine.containers.shimDir(rec.id);
  let created = false;
  try {
    if (await engine.runtime.hasState(rec.id)) await engine.runtime.exec(['delete', '--force', rec.id]);
    const links = await resolveLinks(engine, rec);
    // Independent, and each mostly waits on the kernel or the disk: side by side (the catch below undoes them).
    const [rootfs, net] = await allSettledOrThrow([
      mountRootfs(engine.images, rec.layers, dir),
      setupNetworking(engine, rec, links.hosts),
      engine.containers.clearRunState(rec.id).then(() => fs.mkdir(shimDir, { recursive: true })),
    ] as const);
    const user = await resolveUser(rootfs, rec.config.user);
    const env = [...rec.config.env];
    // Link variables come first in Docker and the container's own env overrides them.
    const ownKeys = new Set(env.map((e) => e.split('=')[0]));
    env.push(...links.env.filter((e) => !ownKeys.has(e.split('=')[0])));
    if (!env.some((e) => e.startsWith('PATH=')))
      env.unshift('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${rec.config.hostname}`);
    if (rec.config.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
    if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    const args = containerArgs(rec);
    await checkExecutable(rootfs, args[0] as string, env);
    const cwdHost = await resolveInRoot(rootfs, rec.config.workdir);
    await fs.mkdir(cwdHost, { recursive: true });
    await fs.chown(cwdHost, user.uid, user.gid).catch(() => {});
    for (const m of rec.host.mounts) {
      await fs.mkdir(await resolveInRoot(rootfs, m.destination), { recursive: true }).catch(() => {});
    }
    const spec = buildSpec({
      rootfs,
      args,
      env,
      cwd: rec.config.workdir,
      user,
      terminal: rec.config.tty,
      hostname: rec.config.hostname,
      cgroupsPath: engine.cgroupsPath(rec.id),
      netns: net.netns,
      etcFiles: etcFiles(engine, rec.id),
      mounts: rec.host.mounts,
      memory: rec.host.memory,
      memorySwap: rec.host.memorySwap,
      nanoCpus: rec.host.nanoCpus,
      pidsLimit: rec.host.pidsLimit,
      cpuShares: rec.host.cpuShares,
      capabilities: effectiveCaps(
        DEFAULT_CAPS,
        rec.host.capAdd,
        rec.host.capDrop,
        // The host's bounding set matters only for CapAdd ALL.
        rec.host.capAdd.some((c) => c.toUpperCase() === 'ALL')
          ? await fs.readFile('/proc/self/status', 'utf8').catch(() => '')
          : '',
      ),
    });
    await writeJsonAtomic(path.join(dir, 'config.json'), spec, { durable: false });
    await fs.mkdir(path.dirname(engine.containers.logPath(rec.id)), { recursive: true });
    rec.state.generation += 1;
    const [exitCmd, ...exitArgs] = ['/usr/bin/env', ...exitCommand(engine, rec.id, rec.state.generation)];
    const shim = await loadShim();
    const started = await shim
      .startShim({
        shimPath: engine.cfg.shim,
        id: rec.id,
        bundle: dir,
        stateDir: shimDir,
        runtime: await engine.runtime.shimRuntime(),
        runtimeRoot: engine.runtime.root,
        tty: rec.config.tty,
        stdin: rec.config.openStdin,
        logPath: engine.containers.logPath(rec.id),
        exitCommand: exitCmd,
        exitCommandArgs: exitArgs,
        exitNotify: exitNotifySocket(engine.cfg),
      })
      .catch((e: Error) => {
        throw runtimeCreateError(e.message);
      });
    created = true;
    rec.state = {
      ...rec.state,
      status: 'running',
      pid: started.pid,
      shimPid: started.shimPid,
      startedAt: new Date().toISOString(),
      finishedAt: '0001-01-01T00:00:00Z',
      exitCode: 0,
      oomKilled: false,
      error: '',
      manuallyStopped: false,
      // Like dockerd: every start begins as "starting" (the log of earlier runs is kept).
      health: isHealthEnabled(rec.config.healthcheck)
        ? { status: 'starting', failingStreak: 0, log: rec.state.health?.log ?? [] }
        : undefined,
    };
    await engine.containers.save(rec);
    if (hooks.beforeStart) await hooks.beforeStart(rec);
    await engine.runtime.start(rec.id, started.pid).catch((e: Error) => {
      throw runtimeCreateError(e.message);
    });
  } catch (e) {
    if (created) await engine.runtime.exec(['delete', '--force', rec.id]);
    await teardownNetworking(engine, rec).catch(() => {});
    await unmountRootfs(dir).catch(() => {});
    const err =
      e instanceof DockyardError
        ? e
        : new DockyardError(`Error response from daemon: ${(e as Error).message}`);
    rec.state = {
      ...rec.state,
      status: rec.state.startedAt.startsWith('0001') ? 'created' : 'exited',
      pid: 0,
      shimPid: 0,
      error: err.message.replace(/^Error response from daemon: /, ''),
    };
    if (err.exitCode === 126 || err.exitCode === 127) rec.state.exitCode = err.exitCode;
    await engine.containers.save(rec).catch(() => {});
    throw err;
  }
}

async function checkExecutable(rootfs: string, cmd: string, env: string[]): Promise<void> {
  const r = await lookPathInRoot(rootfs, cmd, env);
  const prefix =
    'Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: unable to start container process: exec: ';
  if (!r.found) {
    throw new DockyardError(
      `${prefix}"${cmd}": ${cmd.includes('/') ? `stat ${cmd}: no such file or directory` : 'executable file not found in $PATH'}: unknown`,
      127,
    );
  }
  if (!r.executable) throw new DockyardError(`${prefix}"${cmd}": permission denied: unknown`, 126);
}

function runtimeCreateError(message: string): DockyardError {
  const msg = cleanRuntimeError(message.replace(/^dyshim:\s*/, '')) || message;
  const code =
    /not found|no such file/i.test(msg) && /exec/.test(msg)
      ? 127
      : /permission denied/.test(msg) && /exec/.test(msg)
        ? 126
        : 125;
  return new DockyardError(
    `Error response from daemon: failed to create task for container: OCI runtime create failed: ${msg}: unknown`,
    code,
  );
}
