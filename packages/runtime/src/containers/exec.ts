import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import type { OciSpec } from '../oci/spec.js';
import { resolveUser } from '../oci/user.js';
import { writeJsonAtomic } from '../state/files.js';
import { lookPathInRoot } from '../util/rootpath.js';
import { buildEnv } from './options.js';
import { rootfsPaths } from './rootfs.js';
import { cleanRuntimeError } from './runtime.js';
import { loadShim } from './shim.js';
import { effectiveState } from './status.js';

export interface ExecOptions {
  cmd: string[];
  tty?: boolean;
  interactive?: boolean;
  env?: string[];
  envFile?: string[];
  user?: string;
  workdir?: string;
}

export interface StartedExec {
  execId: string;
  stateDir: string;
  pid: number;
}

/** docker exec: a new process in a running container, held by its own dyshim (state in <run>/containers/<id>/exec/<eid>). */
export async function startExec(engine: Engine, ref: string, o: ExecOptions): Promise<StartedExec> {
  const rec = await engine.containers.get(ref);
  const state = await effectiveState(engine, rec);
  if (state.status === 'paused') {
    throw new DockyardError(
      `Error response from daemon: Container ${rec.id} is paused, unpause the container before exec`,
    );
  }
  if (state.status !== 'running')
    throw new DockyardError(`Error response from daemon: container ${rec.id} is not running`);
  const spec = JSON.parse(
    await fs.readFile(path.join(engine.containers.dir(rec.id), 'config.json'), 'utf8'),
  ) as OciSpec;
  const rootfs = rootfsPaths(engine.containers.dir(rec.id)).merged;
  const env = await buildEnv(spec.process.env, o.envFile ?? [], o.env ?? []);
  const user = await resolveUser(rootfs, o.user ?? rec.config.user);
  const cmd = o.cmd[0] as string;
  const found = await lookPathInRoot(rootfs, cmd, env);
  const prefix = 'OCI runtime exec failed: exec failed: unable to start container process: exec: ';
  if (!found.found)
    throw new DockyardError(`${prefix}"${cmd}": executable file not found in $PATH: unknown`, 127);
  if (!found.executable) throw new DockyardError(`${prefix}"${cmd}": permission denied: unknown`, 126);
  const execId = randomBytes(32).toString('hex');
  const stateDir = engine.containers.execDir(rec.id, execId);
  await fs.mkdir(stateDir, { recursive: true });
  const processFile = path.join(stateDir, 'process.json');
  await writeJsonAtomic(processFile, {
    ...spec.process,
    terminal: !!o.tty,
    args: o.cmd,
    env: o.tty && !env.some((e) => e.startsWith('TERM=')) ? [...env, 'TERM=xterm'] : env,
    cwd: o.workdir || spec.process.cwd,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
  });
  const shim = await loadShim();
  try {
    const started = await shim.startShim({
      shimPath: engine.cfg.shim,
      id: rec.id,
      bundle: engine.containers.dir(rec.id),
      stateDir,
      runtime: await engine.runtime.shimRuntime(),
      runtimeRoot: engine.runtime.root,
      tty: !!o.tty,
      stdin: !!o.interactive,
      exec: { processFile, execId },
    });
    return { execId, stateDir, pid: started.pid };
  } catch (e) {
    await fs.rm(stateDir, { recursive: true, force: true });
    const msg = cleanRuntimeError((e as Error).message.replace(/^dyshim:\s*/, ''));
    throw new DockyardError(`${prefix.replace('exec: ', '')}${msg}: unknown`, 126);
  }
}
