import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { type StartedExec, startExec } from '../../containers/exec.js';
import { loadShim } from '../../containers/shim.js';
import { effectiveState, readExitFile } from '../../containers/status.js';
import { DockyardError } from '../../errors.js';
import { containerEvent } from '../../events.js';
import { openSink, pipeShim, readUpgradeBody, resizeShim } from '../containers/attach.js';
import { type ExecRecord, execs, MAX_EXECS } from '../containers/exec-store.js';
import { hub } from '../containers/hub.js';
import {
  type ApiContext,
  ApiError,
  type Route,
  readJson,
  requireResponse,
  sendEmpty,
  sendJson,
} from '../http.js';
import { queryInt } from '../query.js';
import { muxFrame } from '../stream.js';

export const ExecCreateSchema = z.looseObject({
  AttachStdin: z.boolean().nullish(),
  AttachStdout: z.boolean().nullish(),
  AttachStderr: z.boolean().nullish(),
  Tty: z.boolean().nullish(),
  Cmd: z.array(z.string()).min(1, 'No exec command specified'),
  Env: z.array(z.string()).nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Privileged: z.boolean().nullish(),
  DetachKeys: z.string().nullish(),
});

const ExecStartSchema = z.looseObject({ Detach: z.boolean().nullish(), Tty: z.boolean().nullish() });

function getExec(ctx: ApiContext): ExecRecord {
  const e = execs.get(ctx.params.id ?? '');
  if (!e) throw new ApiError(404, `No such exec instance: ${ctx.params.id}`);
  return e;
}

const commandLine = (e: ExecRecord) => e.config.Cmd.join(' ');

const create = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const rec = await engine.containers.get(ctx.params.id ?? '');
  const config = await readJson(ctx, ExecCreateSchema);
  if (config.Privileged) throw new ApiError(400, 'privileged exec is not supported by this engine');
  const s = await effectiveState(engine, rec);
  if (s.status === 'paused')
    throw new ApiError(409, `Container ${rec.id} is paused, unpause the container before exec`);
  if (s.status !== 'running') throw new ApiError(409, `Container ${rec.id} is not running`);
  if (execs.size >= MAX_EXECS) {
    for (const [k, e] of execs) if (!e.running) execs.delete(k);
  }
  const exec: ExecRecord = {
    id: randomBytes(32).toString('hex'),
    containerId: rec.id,
    config,
    running: false,
    exitCode: null,
  };
  execs.set(exec.id, exec);
  await containerEvent(engine, rec, `exec_create: ${commandLine(exec)}`, { execID: exec.id });
  sendJson(ctx, 201, { Id: exec.id });
};

/** Records the exit once, then drops the shim's state dir (as the CLI does after an exec). */
async function settle(exec: ExecRecord, code: number | undefined): Promise<void> {
  if (!exec.running) return;
  let exitCode = code;
  if (exitCode === undefined && exec.started)
    exitCode = (await readExitFile(exec.started.stateDir))?.exitCode;
  if (exitCode === undefined) return;
  exec.exitCode = exitCode;
  exec.running = false;
  if (exec.started) await fs.rm(exec.started.stateDir, { recursive: true, force: true }).catch(() => {});
}

const start = async (ctx: ApiContext) => {
  const engine = ctx.engine;
  const exec = getExec(ctx);
  let opts: z.infer<typeof ExecStartSchema>;
  let early: Buffer = Buffer.alloc(0);
  if (ctx.upgrade) {
    const { body, rest } = await readUpgradeBody(ctx);
    early = rest;
    let parsed: unknown = {};
    try {
      parsed = body.trim() ? JSON.parse(body) : {};
    } catch (e) {
      throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
    }
    const r = ExecStartSchema.safeParse(parsed);
    if (!r.success) throw new ApiError(400, 'invalid exec start body');
    opts = r.data;
  } else opts = await readJson(ctx, ExecStartSchema);
  if (exec.started) throw new ApiError(409, `Exec ${exec.id} has already been started`);
  const c = exec.config;
  const tty = !!(opts.Tty ?? c.Tty);
  const detach = !!opts.Detach;
  const rec = await engine.containers.get(exec.containerId);
  let started: StartedExec;
  try {
    started = await startExec(engine, exec.containerId, {
      cmd: c.Cmd,
      tty,
      interactive: !detach && !!c.AttachStdin,
      env: c.Env ?? [],
      user: c.User || undefined,
      workdir: c.WorkingDir || undefined,
    });
  } catch (e) {
    // Like dockerd: a command that cannot be run is reported on the attached stream and as the exit code.
    if (detach || !(e instanceof DockyardError) || (e.exitCode !== 126 && e.exitCode !== 127)) throw e;
    exec.exitCode = e.exitCode;
    const sink = openSink(ctx, tty, early);
    const text = Buffer.from(`${e.message.replace(/^Error response from daemon: /, '')}\r\n`);
    sink.write(tty ? text : muxFrame(1, text));
    sink.end();
    return;
  }
  exec.started = started;
  exec.running = true;
  await containerEvent(engine, rec, `exec_start: ${commandLine(exec)}`, { execID: exec.id });
  const shim = await loadShim();
  const dieEvent = () =>
    containerEvent(engine, rec, 'exec_die', { execID: exec.id, exitCode: String(exec.exitCode ?? '') });
  if (detach) {
    // Nobody reads the output: a watcher records the exit.
    const att = shim.attachShim(started.stateDir, { replay: false, stdin: false });
    let code: number | undefined;
    att.onExit((e) => {
      code = e.exitCode;
      att.close();
    });
    void att.closed.then(() => settle(exec, code).then(dieEvent));
    if (ctx.res) sendEmpty(ctx, 200);
    else ctx.upgrade?.socket.end();
    return;
  }
  const sink = openSink(ctx, tty, early);
  const att = shim.attachShim(started.stateDir, { replay: true, stdin: !!c.AttachStdin });
  hub.track(`exec:${exec.id}`, att);
  let code: number | undefined;
  await pipeShim(att, sink, {
    tty,
    stdin: !!c.AttachStdin,
    stdout: c.AttachStdout !== false,
    stderr: c.AttachStderr !== false,
    closeStdinOnEnd: true,
    onExit: (x) => {
      code = x;
      // Recorded before the stream ends: the client asks for the exit code right after.
      exec.exitCode = x;
    },
  });
  await settle(exec, code);
  await dieEvent();
};

const resize = async (ctx: ApiContext) => {
  const exec = getExec(ctx);
  const h = queryInt(ctx, 'h') ?? 0;
  const w = queryInt(ctx, 'w') ?? 0;
  if (h < 0 || w < 0 || h > 0xffff || w > 0xffff) throw new ApiError(400, 'invalid terminal size');
  if (!exec.started || !exec.running) throw new ApiError(409, `Exec ${exec.id} is not running`);
  await resizeShim(`exec:${exec.id}`, exec.started.stateDir, h, w);
  sendEmpty(ctx, 200);
};

const inspect = async (ctx: ApiContext) => {
  const exec = getExec(ctx);
  if (exec.running && exec.started && exec.exitCode === null) await settle(exec, undefined);
  const running = exec.running && exec.exitCode === null;
  requireResponse(ctx);
  const c = exec.config;
  sendJson(ctx, 200, {
    ID: exec.id,
    Running: running,
    ExitCode: running ? null : exec.exitCode,
    ProcessConfig: {
      tty: !!c.Tty,
      entrypoint: c.Cmd[0],
      arguments: c.Cmd.slice(1),
      privileged: false,
      ...(c.User ? { user: c.User } : {}),
    },
    OpenStdin: !!c.AttachStdin,
    OpenStderr: c.AttachStderr !== false,
    OpenStdout: c.AttachStdout !== false,
    CanRemove: false,
    ContainerID: exec.containerId,
    DetachKeys: c.DetachKeys ?? '',
    Pid: exec.started?.pid ?? 0,
  });
};

export const routes: Route[] = [
  { method: 'POST', path: '/containers/:id/exec', handler: create },
  { method: 'POST', path: '/exec/:id/start', handler: start },
  { method: 'POST', path: '/exec/:id/resize', handler: resize },
  { method: 'GET', path: '/exec/:id/json', handler: inspect },
];
