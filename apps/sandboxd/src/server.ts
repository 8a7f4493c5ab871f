import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { InRootError } from '@dockyard/grader';
import {
  type ClientToServerEvents,
  checkRequestSchema,
  fileListRequestSchema,
  fileReadRequestSchema,
  fileWriteRequestSchema,
  LAB_LEAVE_PATH,
  LAB_NAMESPACE,
  type LabLeaveResult,
  type LabStopReason,
  LabTokenError,
  labHandshakeSchema,
  labLeaveSchema,
  labResetSchema,
  MAX_TERMINALS_PER_BOX,
  type ProtocolError,
  type ServerToClientEvents,
  terminalCloseSchema,
  terminalDataSchema,
  terminalOpenSchema,
  terminalResizeSchema,
  type VerifiedLabToken,
  verifyLabToken,
} from '@dockyard/protocol';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import type { z } from 'zod';
import { clampLimits, type OperatorMaxima } from './boxes/limits.js';
import { BoxError, BoxManager, type BoxRecord } from './boxes/manager.js';
import { boxToolchain } from './boxes/toolchain.js';
import type { SandboxdConfig } from './config.js';
import { BoxFiles } from './files/api.js';
import { runStepChecks } from './grading/run-checks.js';
import { LessonPreparer, type Preparation } from './lessons/prepare.js';
import { TerminalAttachment } from './terminals/session.js';

type LabSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  { claims: VerifiedLabToken }
>;
type Ack<T> = (result: { ok: true; value: T } | { ok: false; error: ProtocolError }) => void;

function protocolError(code: string, en: string, zh: string): ProtocolError {
  return { code, message: { en, 'zh-CN': zh } };
}

/** Maps whatever went wrong to an error the browser can show in the student's language. */
function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof InRootError) {
    return protocolError(`file-${error.code.toLowerCase()}`, error.message, `文件操作失败：${error.message}`);
  }
  if (error instanceof BoxError && error.code === 'not-found') {
    return protocolError('box-not-found', 'That lab machine does not exist.', '这台实验机器不存在。');
  }
  if (error instanceof BoxError && error.code === 'capacity') {
    return protocolError(
      'capacity',
      'All lab machines are busy. Please try again in a minute.',
      '实验机器已满，请稍后再试。',
    );
  }
  if (error instanceof BoxError && error.code === 'owner-limit') {
    return protocolError(
      'owner-limit',
      'You already have as many lab machines as allowed. Close one first.',
      '你的实验机器数量已达上限，请先关闭一台。',
    );
  }
  const message = (error as Error).message ?? String(error);
  return protocolError('internal', message, `出错了：${message}`);
}

export interface Sandboxd {
  url: string;
  boxes: BoxManager;
  close(): Promise<void>;
  /** One pass of the reaper (it also runs on its own every reapIntervalSeconds). */
  reap(): Promise<void>;
  /** Boxes in the warm pool. */
  pooled(): BoxRecord[];
}

export async function startSandboxd(
  config: SandboxdConfig,
  log: Logger = pino({ level: 'info' }),
): Promise<Sandboxd> {
  const toolchain = boxToolchain(config.toolchainDir, config.imageCacheDir, { docker: config.boxDocker });
  if (!toolchain)
    log.warn(
      { dir: config.toolchainDir },
      'no box toolchain: boxes start without docker (run infra/box-toolchain/build.sh)',
    );
  else if (!toolchain.init)
    log.warn({ dir: config.toolchainDir }, 'box toolchain without box-init: rebuild it');
  // Set once everything it needs exists; a box can only be noticed dead after init() anyway.
  let boxDied: (box: BoxRecord) => void = () => {};
  const boxes = new BoxManager({
    extraBinds: toolchain?.binds ?? [],
    initBinary: toolchain?.init?.binary,
    initArgs: toolchain?.init?.args,
    boxEnv: toolchain?.env,
    onInitExit: (box) => boxDied(box),
    dataRoot: config.dataRoot,
    runRoot: config.runRoot,
    imageRootfs: config.imageRootfs,
    idBase: config.idBase,
    maxBoxes: config.maxBoxes,
    network: { bridge: config.bridge, subnet: config.subnet, chain: 'DOCKYARD-LABS' },
    cgroupParent: config.cgroupParent,
    diskBytes: config.diskBytes,
    saves: { dir: join(config.dataRoot, 'saves'), maxBytes: config.saveMaxBytes },
    maxBoxesPerOwner: config.maxBoxesPerUser,
    defaultLimits: {
      memoryBytes: config.memoryBytes,
      memorySwapBytes: config.memoryBytes,
      pids: config.pids,
      cpus: config.cpus,
      tmpBytes: config.tmpBytes,
    },
  });
  // The host's ceiling for every box; a lesson's limits (in its token) can only lower them.
  const maxima: OperatorMaxima = {
    memoryBytes: config.memoryBytes,
    pids: config.pids,
    cpus: config.cpus,
    diskBytes: config.diskBytes,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    maxLifetimeSeconds: config.maxLifetimeSeconds,
  };
  const lessons = new LessonPreparer(
    boxes,
    { lessonsDir: config.lessonsDir, setupTimeoutMs: config.lessonSetupTimeoutSeconds * 1000 },
    log,
  );
  const { adopted, cleaned } = await boxes.init();
  log.info({ adopted: adopted.length, cleaned: cleaned.length }, 'boxes re-adopted and leftovers cleaned');

  const registry = new Registry();
  const boxGauge = new Gauge({
    name: 'dockyard_boxes',
    help: 'Lab boxes on this host',
    registers: [registry],
  });
  const terminalGauge = new Gauge({
    name: 'dockyard_terminals',
    help: 'Attached terminals',
    registers: [registry],
  });
  const checkLatency = new Histogram({
    name: 'dockyard_check_seconds',
    help: 'Time to evaluate one step’s checks',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const boxStarts = new Counter({
    name: 'dockyard_box_starts_total',
    help: 'Boxes started',
    registers: [registry],
  });
  const poolGauge = new Gauge({
    name: 'dockyard_pool_boxes',
    help: 'Started boxes waiting for a student',
    registers: [registry],
  });
  const reaped = new Counter({
    name: 'dockyard_boxes_reaped_total',
    help: 'Boxes reaped',
    labelNames: ['reason'],
    registers: [registry],
  });
  const reattaches = new Counter({
    name: 'dockyard_terminal_reattaches_total',
    help: 'Terminal attachments that broke and were made again',
    registers: [registry],
  });

  // One box per student; concurrent connections of the same student wait for the same creation.
  const creating = new Map<string, Promise<BoxRecord>>();
  // Warm pool: unowned boxes, handed out on connect and refilled in the background (never while a student's
  // own box is being made, which may need the last slot).
  let closing = false;
  let refilling: Promise<void> | null = null;
  const pooled = () => boxes.list().filter((b) => b.owner === null && b.pid > 1);
  function refillPool() {
    if (refilling || closing || config.poolSize === 0) return;
    refilling = (async () => {
      while (
        !closing &&
        creating.size === 0 &&
        boxes.list().filter((b) => b.owner === null).length < config.poolSize
      ) {
        try {
          await boxes.create();
        } catch (error) {
          // At capacity (or a start failure): try again on the next demand or reap.
          log.warn({ err: error }, 'warm pool refill stopped');
          break;
        }
      }
    })().finally(() => {
      refilling = null;
    });
  }

  // Sockets attached to each box, told when their box goes away.
  const socketsByBox = new Map<string, Set<LabSocket>>();
  function endBox(
    boxId: string,
    message: { en: string; 'zh-CN': string },
    reason: LabStopReason,
    except?: LabSocket,
  ) {
    for (const socket of socketsByBox.get(boxId) ?? []) {
      if (socket === except) continue;
      socket.emit('lab:status', { state: 'stopped', message, reason });
      socket.disconnect(true);
    }
    socketsByBox.delete(boxId);
  }

  const reapMessages = {
    idle: {
      en: 'Your lab machine was stopped after a period of inactivity; your files were saved.',
      'zh-CN': '实验机器因长时间无操作已停止，你的文件已保存。',
    },
    lifetime: {
      en: 'Your lab machine reached its maximum running time and was stopped; your files were saved.',
      'zh-CN': '实验机器已达到最长运行时间并已停止，你的文件已保存。',
    },
    died: {
      en: 'Your lab machine stopped (its first process ended); your files were saved. Reconnect for a new one.',
      'zh-CN': '实验机器已停止（其初始进程已退出），你的文件已保存。重新连接即可获得新的机器。',
    },
    left: {
      en: 'You left the lab; your lab machine was stopped and your files were saved.',
      'zh-CN': '你已离开实验，实验机器已停止，你的文件已保存。',
    },
  };
  // Told by the box's init shim the moment its machine ends: say so, save the work, clear it away.
  boxDied = (box) => {
    endBox(box.id, reapMessages.died, 'died');
    boxes
      .destroy(box.id, { save: true })
      .then(() => {
        reaped.inc({ reason: 'died' });
        log.warn({ box: box.id, owner: box.owner }, 'box init ended; box saved and removed');
      })
      .catch((error) => log.error({ err: error, box: box.id }, 'removing a dead box failed'))
      .finally(refillPool);
  };
  async function reap() {
    const now = Date.now();
    for (const box of boxes.list()) {
      if (box.pid <= 1) continue;
      const alive = existsSync(`/proc/${box.pid}`);
      if (box.owner === null && alive) continue;
      // A box's own limits (its lesson's) count, never beyond the host's.
      const lifetime = Math.min(box.maxLifetimeSeconds ?? Infinity, config.maxLifetimeSeconds);
      const idle = Math.min(box.idleTimeoutSeconds ?? Infinity, config.idleTimeoutSeconds);
      const reason = !alive
        ? 'died'
        : now - Date.parse(box.createdAt) > lifetime * 1000
          ? 'lifetime'
          : boxes.idleFor(box.id, now) > idle * 1000
            ? 'idle'
            : null;
      if (!reason) continue;
      endBox(box.id, reapMessages[reason], reason);
      try {
        await boxes.destroy(box.id, { save: true });
        reaped.inc({ reason });
        log.info({ box: box.id, owner: box.owner, reason }, 'box reaped');
      } catch (error) {
        log.error({ err: error, box: box.id }, 'reaping a box failed');
      }
    }
    refillPool();
  }
  let reaping: Promise<void> | null = null;
  const reaper = setInterval(() => {
    reaping ??= reap().finally(() => {
      reaping = null;
    });
  }, config.reapIntervalSeconds * 1000);
  refillPool();

  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method === 'GET' && req.url === '/healthz') {
      send(200, 'application/json', JSON.stringify({ ok: true, boxes: boxes.list().length }));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      boxGauge.set(boxes.list().length);
      poolGauge.set(pooled().length);
      registry.metrics().then((text) => send(200, registry.contentType, text));
    } else if (req.method === 'POST' && req.url === LAB_LEAVE_PATH) {
      const token = /^Bearer (\S{10,4096})$/.exec(req.headers.authorization ?? '')?.[1];
      req.resume();
      verifyLabToken(token ?? '', config.tokenSecret)
        .then(
          async (claims) => send(200, 'application/json', JSON.stringify(await leave(claims.sub))),
          (error) =>
            send(
              401,
              'application/json',
              JSON.stringify({ error: error instanceof LabTokenError ? error.code : 'invalid token' }),
            ),
        )
        .catch((error) => send(500, 'application/json', JSON.stringify({ error: (error as Error).message })));
    } else if (!req.url?.startsWith('/socket.io/')) {
      send(404, 'application/json', JSON.stringify({ error: 'not found' }));
    }
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    cors: config.allowedOrigins.length > 0 ? { origin: config.allowedOrigins } : undefined,
    maxHttpBufferSize: 2 * 1024 * 1024,
    // CORS only guards HTTP polling; a browser's websocket carries its page's Origin, which is checked here.
    // Non-browser clients send none.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, config.allowedOrigins.length === 0 || !origin || config.allowedOrigins.includes(origin));
    },
  });
  const lab = io.of(LAB_NAMESPACE);

  lab.use(async (socket, next) => {
    const handshake = labHandshakeSchema.safeParse(socket.handshake.auth);
    if (!handshake.success) return next(new Error('missing lab token'));
    try {
      (socket as LabSocket).data.claims = await verifyLabToken(handshake.data.token, config.tokenSecret);
      next();
    } catch (error) {
      next(new Error(error instanceof LabTokenError ? error.code : 'invalid token'));
    }
  });

  /** Gives an owner's box the limits of the lesson they are on (clamped); lowering below usage may be refused. */
  async function fit(box: BoxRecord, want: ReturnType<typeof clampLimits>): Promise<BoxRecord> {
    try {
      return await boxes.setLimits(
        box.id,
        { memoryBytes: want.memoryBytes, pids: want.pids, cpus: want.cpus },
        { idleTimeoutSeconds: want.idleTimeoutSeconds, maxLifetimeSeconds: want.maxLifetimeSeconds },
      );
    } catch (error) {
      log.warn({ err: error, box: box.id }, 'box limits not changed');
      return box;
    }
  }

  /** Stops every box of an owner, saving their work for the next one (the student left). */
  async function leave(owner: string, except?: LabSocket): Promise<LabLeaveResult> {
    await creating.get(owner)?.catch(() => undefined);
    let stopped = 0;
    for (const box of boxes.list().filter((b) => b.owner === owner)) {
      endBox(box.id, reapMessages.left, 'left', except);
      try {
        await boxes.destroy(box.id, { save: true });
        stopped++;
      } catch (error) {
        log.error({ err: error, box: box.id }, 'stopping a box on leave failed');
      }
    }
    log.info({ owner, stopped }, 'student left');
    return { stopped, saved: boxes.layers?.has(owner) ?? false };
  }

  async function boxFor(claims: VerifiedLabToken): Promise<BoxRecord> {
    const want = clampLimits(maxima, claims.limits);
    if (claims.box !== undefined) {
      const named = boxes.list().find((b) => b.id === claims.box);
      // Only staff may open someone else's box, and then only to watch.
      if (!named || (named.owner !== claims.sub && claims.role === 'student')) {
        throw new BoxError('not-found', `no such box: ${claims.box}`);
      }
      return named;
    }
    // A box whose machine died is saved and cleared away before its owner gets a new one.
    const dead = boxes
      .list()
      .find((b) => b.owner === claims.sub && b.pid > 1 && !existsSync(`/proc/${b.pid}`));
    if (dead) await boxes.destroy(dead.id, { save: true }).catch(() => undefined);
    const existing = boxes
      .list()
      .find((b) => b.owner === claims.sub && b.pid > 1 && existsSync(`/proc/${b.pid}`));
    if (existing) return fit(existing, want);
    let pending = creating.get(claims.sub);
    if (!pending) {
      // A student with saved work needs a fresh box to restore it into, and a lesson with its own disk cap one of
      // that size; everyone else takes a pooled one.
      const warm =
        boxes.layers?.has(claims.sub) || want.diskBytes !== config.diskBytes ? undefined : pooled()[0];
      if (warm) {
        const assigned = boxes.assign(warm.id, claims.sub);
        boxStarts.inc();
        refillPool();
        return fit(assigned, want);
      }
      // A pooled box gives way when the host is full and this student needs a fresh one for their saved work.
      const make = async () => {
        await refilling;
        const spare = pooled()[0];
        if (boxes.list().length >= config.maxBoxes && spare) await boxes.destroy(spare.id);
        return boxes.create({
          owner: claims.sub,
          limits: {
            memoryBytes: want.memoryBytes,
            memorySwapBytes: want.memoryBytes,
            pids: want.pids,
            cpus: want.cpus,
          },
          diskBytes: want.diskBytes,
          idleTimeoutSeconds: want.idleTimeoutSeconds,
          maxLifetimeSeconds: want.maxLifetimeSeconds,
        });
      };
      pending = make().finally(() => {
        creating.delete(claims.sub);
        refillPool();
      });
      creating.set(claims.sub, pending);
      boxStarts.inc();
    }
    return pending;
  }

  /** What a student is told when their lesson could not be prepared (the box itself works). */
  function preparationMessage(prep: Preparation): { en: string; 'zh-CN': string } | undefined {
    if (prep.setup !== 'failed') return undefined;
    const why =
      prep.exitCode === undefined
        ? { en: 'its files could not be put in place', zh: '课程文件未能放置到位' }
        : prep.exitCode < 0
          ? { en: 'its setup did not finish in time', zh: '课程准备脚本未能按时完成' }
          : {
              en: `its setup failed (exit ${prep.exitCode})`,
              zh: `课程准备脚本失败（退出码 ${prep.exitCode}）`,
            };
    return {
      en: `Your lab machine is ready, but the lesson "${prep.lesson}" could not be prepared: ${why.en}. Some of its files or services may be missing; resetting the lab machine tries again.`,
      'zh-CN': `实验机器已就绪，但课程“${prep.lesson}”的环境未能准备好：${why.zh}。部分文件或服务可能缺失；重置实验机器会重新准备。`,
    };
  }

  /** Prepares a student's own box for the lesson of their token; never fails the connection. */
  async function prepareLesson(box: BoxRecord, lessonId: string): Promise<Preparation> {
    try {
      return await lessons.prepare(box, lessonId);
    } catch (error) {
      log.error({ err: error, box: box.id, lesson: lessonId }, 'lesson preparation broke');
      return { lesson: lessonId, setup: 'failed', preparedAt: new Date().toISOString(), fresh: true };
    }
  }

  lab.on('connection', async (raw) => {
    const socket = raw as LabSocket;
    const claims = socket.data.claims;
    const terminals = new Map<string, TerminalAttachment>();
    // Output handed to socket.io and not yet flushed by the transport ('drain' = its buffer is empty).
    let queued = 0;
    socket.conn.on('drain', () => {
      queued = 0;
    });
    let box: BoxRecord;
    socket.emit('lab:status', { state: 'starting' });
    try {
      box = await boxFor(claims);
    } catch (error) {
      socket.emit('lab:error', toProtocolError(error));
      socket.disconnect(true);
      return;
    }
    const attachSocket = (b: BoxRecord) => {
      const set = socketsByBox.get(b.id) ?? new Set<LabSocket>();
      socketsByBox.set(b.id, set);
      set.add(socket);
    };
    attachSocket(box);
    // The owner's box gets their lesson; staff watching it leave it as it is.
    const prep = claims.sub === box.owner ? await prepareLesson(box, claims.lesson) : undefined;
    if (socket.disconnected) {
      socketsByBox.get(box.id)?.delete(socket);
      return;
    }
    const prepMessage = prep && preparationMessage(prep);
    socket.emit('lab:status', prepMessage ? { state: 'ready', message: prepMessage } : { state: 'ready' });
    log.info({ user: claims.sub, box: box.id }, 'lab connected');

    /** Validates a payload, runs the handler, and answers the ack with a value or a protocol error. */
    function handle<S extends z.ZodType, T>(schema: S, work: (payload: z.infer<S>) => Promise<T> | T) {
      return async (payload: unknown, ack?: Ack<T>) => {
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          ack?.({
            ok: false,
            error: protocolError('bad-request', parsed.error.message, `请求无效：${parsed.error.message}`),
          });
          return;
        }
        try {
          const value = await work(parsed.data);
          ack?.({ ok: true, value });
        } catch (error) {
          ack?.({ ok: false, error: toProtocolError(error) });
        }
      };
    }

    const readOnly = claims.sub !== box.owner;
    socket.on(
      'terminal:open',
      handle(terminalOpenSchema, async ({ terminalId, rows, cols }) => {
        if (terminals.has(terminalId)) return { terminalId };
        if (terminals.size >= MAX_TERMINALS_PER_BOX)
          throw new Error(`at most ${MAX_TERMINALS_PER_BOX} terminals`);
        const terminal = await TerminalAttachment.open(
          boxes,
          box.id,
          terminalId,
          { rows, cols },
          {
            data: (data) => {
              queued += data.length;
              socket.emit('terminal:data', { terminalId, data });
            },
            exit: (exitCode) => {
              terminals.delete(terminalId);
              terminalGauge.dec();
              socket.emit('terminal:exit', { terminalId, exitCode });
            },
            pendingBytes: () => queued,
            onDrain: (cb) => socket.conn.on('drain', cb),
            reattached: () => {
              reattaches.inc();
              log.warn({ box: box.id, terminalId }, 'terminal attachment broke; reattached with replay');
            },
          },
          { readOnly },
        );
        terminals.set(terminalId, terminal);
        terminalGauge.inc();
        return { terminalId };
      }),
    );
    socket.on(
      'terminal:data',
      handle(terminalDataSchema, ({ terminalId, data }) => {
        if (readOnly) return;
        terminals.get(terminalId)?.input(data);
        boxes.touch(box.id);
      }),
    );
    socket.on(
      'terminal:resize',
      handle(terminalResizeSchema, ({ terminalId, rows, cols }) => {
        if (!readOnly) terminals.get(terminalId)?.resize(rows, cols);
      }),
    );
    socket.on(
      'terminal:close',
      handle(terminalCloseSchema, ({ terminalId }) => {
        const terminal = terminals.get(terminalId);
        if (terminal && !readOnly) terminal.hangUp();
      }),
    );
    let files = new BoxFiles(box);
    const touch = () => {
      if (!readOnly) boxes.touch(box.id);
    };
    socket.on(
      'file:list',
      handle(fileListRequestSchema, ({ path }) => {
        touch();
        return { path, entries: files.list(path) };
      }),
    );
    socket.on(
      'file:read',
      handle(fileReadRequestSchema, ({ path }) => {
        touch();
        return { path, ...files.read(path) };
      }),
    );
    socket.on(
      'file:write',
      handle(fileWriteRequestSchema, ({ path, content, encoding }) => {
        if (readOnly) throw new Error('read-only session');
        touch();
        files.write(path, content, encoding);
        return { path };
      }),
    );
    socket.on(
      'lab:reset',
      handle(labResetSchema, async () => {
        if (readOnly) throw new Error('read-only session');
        for (const terminal of terminals.values()) terminal.detach();
        terminalGauge.dec(terminals.size);
        terminals.clear();
        const old = box;
        endBox(
          old.id,
          {
            en: 'This lab machine was reset from another window.',
            'zh-CN': '这台实验机器已在另一个窗口中重置。',
          },
          'reset',
          socket,
        );
        await boxes.destroy(old.id);
        boxes.layers?.discard(claims.sub);
        box = await boxFor({ ...claims, box: undefined });
        files = new BoxFiles(box);
        attachSocket(box);
        const message = preparationMessage(await prepareLesson(box, claims.lesson));
        if (message) socket.emit('lab:status', { state: 'ready', message });
        return { boxId: box.id };
      }),
    );
    socket.on(
      'lab:leave',
      handle(labLeaveSchema, async () => {
        if (readOnly) throw new Error('read-only session');
        for (const terminal of terminals.values()) terminal.detach();
        terminalGauge.dec(terminals.size);
        terminals.clear();
        const result = await leave(claims.sub, socket);
        // After the ack has gone out.
        setTimeout(() => socket.disconnect(true), 0);
        return result;
      }),
    );
    socket.on(
      'check:run',
      handle(checkRequestSchema, async ({ lessonId, stepId }) => {
        touch();
        const end = checkLatency.startTimer();
        try {
          return await runStepChecks(config.lessonsDir, box, lessonId, stepId);
        } finally {
          end();
        }
      }),
    );
    socket.on('disconnect', () => {
      socketsByBox.get(box.id)?.delete(socket);
      for (const terminal of terminals.values()) terminal.detach();
      terminalGauge.dec(terminals.size);
      terminals.clear();
    });
  });

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const address = httpServer.address() as AddressInfo;
  const url = `http://${config.host}:${address.port}`;
  log.info({ url }, 'sandboxd listening');
  return {
    url,
    boxes,
    async close() {
      closing = true;
      clearInterval(reaper);
      boxes.stopWatching();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await reaping;
      await refilling;
    },
    reap,
    pooled,
  };
}
