import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Engine } from '../engine.js';
import { containerEvent } from '../events.js';
import { startExec } from './exec.js';
import {
  formatDuration,
  HEALTH_DEFAULTS,
  HEALTH_LOG_ENTRIES,
  HEALTH_OUTPUT_MAX,
  type HealthConfig,
  type HealthResult,
  type HealthState,
  isHealthEnabled,
  probeCommand,
} from './healthcheck.js';
import type { ContainerRecord } from './record.js';
import { loadShim } from './shim.js';
import { effectiveState, pidAlive, readExitFile } from './status.js';

/** How often the monitor looks for containers started or gone (also by other processes, e.g. the CLI). */
const SCAN_MS = 1000;
/** After killing a timed-out check, how long to wait for its shim to record the exit before dropping its state. */
const KILL_GRACE_MS = 2000;

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Runs the check once inside the container (through `docker exec`'s machinery: a dyshim per process).
 * Undefined when there is nothing to record: the container is not running, or the monitor stopped.
 */
export async function runProbe(
  engine: Engine,
  rec: ContainerRecord,
  hc: HealthConfig,
  signal: AbortSignal,
): Promise<HealthResult | undefined> {
  const cmd = probeCommand(hc);
  if (!cmd) return undefined;
  const start = new Date();
  const failed = (exitCode: number, output: string): HealthResult => ({
    start: start.toISOString(),
    end: new Date().toISOString(),
    exitCode,
    output: output.slice(0, HEALTH_OUTPUT_MAX),
  });
  let started: Awaited<ReturnType<typeof startExec>>;
  // dockerd runs a check as an exec, and `docker events` shows it as one.
  const execID = randomBytes(32).toString('hex');
  await containerEvent(engine, rec, `exec_create: ${cmd.join(' ')}`, { execID });
  try {
    started = await startExec(engine, rec.id, { cmd });
    await containerEvent(engine, rec, `exec_start: ${cmd.join(' ')}`, { execID });
  } catch (e) {
    const now = await engine.containers.load(rec.id).catch(() => undefined);
    if (!now || (await effectiveState(engine, now)).status !== 'running') return undefined;
    // Like dockerd: a check that cannot even start is a failure with the error as its output.
    return failed(-1, (e as Error).message.replace(/^Error response from daemon: /, ''));
  }
  const shim = await loadShim();
  const att = shim.attachShim(started.stateDir, { replay: true, stdin: false });
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (b: Buffer) => {
    if (size >= HEALTH_OUTPUT_MAX) return;
    const part = b.subarray(0, HEALTH_OUTPUT_MAX - size);
    chunks.push(part);
    size += part.length;
  };
  att.onStdout(keep);
  att.onStderr(keep);
  const exited = new Promise<number | undefined>((resolve) => {
    att.onExit((x) => resolve(x.exitCode));
    att.onClose(() => resolve(undefined));
  });
  const timeoutMs = (hc.timeout || HEALTH_DEFAULTS.timeout) / 1e6;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    exited.then(async (code) => ({
      kind: 'exit' as const,
      code: code ?? (await readExitFile(started.stateDir))?.exitCode ?? -1,
    })),
    new Promise<{ kind: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    }),
    new Promise<{ kind: 'aborted' }>((resolve) => {
      if (signal.aborted) resolve({ kind: 'aborted' });
      signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (outcome.kind !== 'exit') {
    // A check left running would pile up with the next ones: kill it (dockerd does too).
    try {
      process.kill(started.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, KILL_GRACE_MS))]);
  }
  att.close();
  await fs.rm(started.stateDir, { recursive: true, force: true }).catch(() => {});
  const exitCode = outcome.kind === 'exit' ? outcome.code : 137;
  await containerEvent(engine, rec, 'exec_die', { execID, exitCode: String(exitCode) });
  if (outcome.kind === 'aborted') return undefined;
  if (outcome.kind === 'timeout')
    return failed(
      -1,
      `Health check exceeded timeout (${formatDuration(hc.timeout || HEALTH_DEFAULTS.timeout)})`,
    );
  return {
    start: start.toISOString(),
    end: new Date().toISOString(),
    exitCode: outcome.code,
    output: Buffer.concat(chunks).toString('utf8'),
  };
}

/** dockerd's handleProbeResult: the new health state after one result (start-period failures do not count). */
export function applyResult(
  health: HealthState | undefined,
  hc: HealthConfig,
  startedAt: string,
  result: HealthResult,
): HealthState {
  const h: HealthState = health
    ? { ...health, log: [...health.log] }
    : { status: 'starting', failingStreak: 0, log: [] };
  h.log.push(result);
  if (h.log.length > HEALTH_LOG_ENTRIES) h.log.splice(0, h.log.length - HEALTH_LOG_ENTRIES);
  if (result.exitCode === 0) {
    h.failingStreak = 0;
    h.status = 'healthy';
    return h;
  }
  const sinceStartNs = (Date.parse(result.start) - Date.parse(startedAt)) * 1e6;
  const inStartPeriod =
    h.status === 'starting' && sinceStartNs < (hc.startPeriod || HEALTH_DEFAULTS.startPeriod);
  if (!inStartPeriod) {
    h.failingStreak += 1;
    if (h.failingStreak >= (hc.retries || HEALTH_DEFAULTS.retries)) h.status = 'unhealthy';
  }
  return h;
}

interface Loop {
  generation: number;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The health checks of every running container of an engine, run by a long-lived server (`dockyard daemon`).
 * It scans the records, so containers started by any process (API, CLI, restart policy) are picked up, and a
 * check loop ends when its container's run ends (stop, kill, exit, rm) or the monitor closes.
 */
export class HealthMonitor {
  private readonly loops = new Map<string, Loop>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly engine: Engine) {}

  start(): void {
    void this.scan();
    this.timer = setInterval(() => void this.scan(), SCAN_MS);
  }

  /** Starts loops for running containers with a check, ends those whose run is over. */
  scan(): Promise<void> {
    this.scanning ??= this.reconcile().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async reconcile(): Promise<void> {
    const recs = await this.engine.containers.list().catch(() => [] as ContainerRecord[]);
    if (this.closed) return;
    const wanted = new Map<string, ContainerRecord>();
    for (const r of recs) {
      const live = r.state.status === 'running' || r.state.status === 'paused';
      if (live && isHealthEnabled(r.config.healthcheck)) wanted.set(r.id, r);
    }
    for (const [id, loop] of this.loops) {
      if (wanted.get(id)?.state.generation !== loop.generation) this.stopLoop(id, loop);
    }
    for (const [id, r] of wanted) {
      if (this.loops.has(id)) continue;
      const abort = new AbortController();
      const loop: Loop = { generation: r.state.generation, abort, done: Promise.resolve() };
      loop.done = this.run(r, abort.signal)
        .catch(() => {})
        .finally(() => {
          if (this.loops.get(id) === loop) this.loops.delete(id);
        });
      this.loops.set(id, loop);
    }
  }

  private stopLoop(id: string, loop: Loop): void {
    loop.abort.abort();
    if (this.loops.get(id) === loop) this.loops.delete(id);
  }

  private async run(rec: ContainerRecord, signal: AbortSignal): Promise<void> {
    const hc = rec.config.healthcheck as HealthConfig;
    const startedAt = Date.parse(rec.state.startedAt);
    let status = rec.state.health?.status ?? 'starting';
    while (!signal.aborted) {
      const startPeriodNs = hc.startPeriod || HEALTH_DEFAULTS.startPeriod;
      const inStart = status === 'starting' && (Date.now() - startedAt) * 1e6 < startPeriodNs;
      const waitNs = inStart
        ? hc.startInterval || HEALTH_DEFAULTS.startInterval
        : hc.interval || HEALTH_DEFAULTS.interval;
      await abortableSleep(waitNs / 1e6, signal);
      if (signal.aborted) return;
      const current = await this.engine.containers.load(rec.id).catch(() => undefined);
      if (current?.state.generation !== rec.state.generation) return;
      // dockerd skips checks while the container is paused.
      if (current.state.status !== 'running') continue;
      const result = await runProbe(this.engine, current, hc, signal);
      if (!result || signal.aborted) continue;
      const next = await this.record(rec, hc, result);
      if (next) status = next;
    }
  }

  /** Stores a result if the run it belongs to is still the container's live run; emits health_status on a change. */
  private async record(
    rec: ContainerRecord,
    hc: HealthConfig,
    result: HealthResult,
  ): Promise<HealthState['status'] | undefined> {
    let before: HealthState['status'] | undefined;
    let after: HealthState | undefined;
    let saved: ContainerRecord | undefined;
    await this.engine.containers
      .withLock(rec.id, async () => {
        const cur = await this.engine.containers.load(rec.id);
        if (!cur || cur.state.generation !== rec.state.generation || cur.state.status !== 'running') return;
        // Exited meanwhile (its cleanup has not run yet): the result says nothing about health.
        if (!pidAlive(cur.state.pid)) return;
        before = cur.state.health?.status;
        after = applyResult(cur.state.health, hc, cur.state.startedAt, result);
        cur.state.health = after;
        await this.engine.containers.save(cur);
        saved = cur;
      })
      .catch(() => {});
    if (!after || !saved) return undefined;
    if (after.status !== before) {
      await containerEvent(this.engine, saved, `health_status: ${after.status}`);
    }
    return after.status;
  }

  /** Ends every loop (killing checks in flight) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    const loops = [...this.loops.entries()];
    for (const [id, loop] of loops) this.stopLoop(id, loop);
    await Promise.all(loops.map(([, l]) => l.done));
  }
}

/** Starts the monitor (its first scan resumes checks of containers already running). */
export function startHealthMonitor(engine: Engine): HealthMonitor {
  const m = new HealthMonitor(engine);
  m.start();
  return m;
}
