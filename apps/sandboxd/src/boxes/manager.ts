import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMountinfo } from '@dockyard/grader';
import {
  attachShim,
  readExit,
  type ShimAttachment,
  type StartedShim,
  startShim,
} from '@dockyard/runtime/shim';
import { z } from 'zod';
import { attempt, run } from '../util/exec.js';
import { boxCgroupDirs, cgroupDirsUnder, delegateCgroups, removeCgroupTree, thawTree } from './cgroups.js';
import { LayerStore } from './layers.js';
import { attachBox, boxAddress, detachBox, ensureLabNetwork, type LabNetworkConfig } from './network.js';
import { BOX_CAPS, BOX_INIT, boxSpec } from './spec.js';

const nativeBin = (name: string) =>
  fileURLToPath(new URL(`../../../../packages/runtime/native/bin/${name}`, import.meta.url));

export interface BoxLimits {
  memoryBytes: number;
  memorySwapBytes: number;
  pids: number;
  cpus: number;
  tmpBytes: number;
}

export interface BoxManagerOptions {
  /** Persistent: box records and writable layers. */
  dataRoot: string;
  /** Volatile: mounts, bundles, shim state. */
  runRoot: string;
  /** Rootfs of the lab image (from infra/images). */
  imageRootfs: string;
  /** OCI runtime binary; dyrt by default. */
  runtime?: string;
  /** First host uid of the first box's range; each box gets idCount ids after the previous one. */
  idBase: number;
  idCount?: number;
  maxBoxes: number;
  network: LabNetworkConfig;
  cgroupParent: string;
  defaultLimits: BoxLimits;
  /** Host init bind-mounted into every box (reaps zombies as PID 1); tini-static by default. */
  initBinary?: string;
  /** Its arguments (default: tini's, running `sleep infinity`; infra/box-toolchain's box-init needs none). */
  initArgs?: string[];
  /** Environment added to the init and to every command run in a box (e.g. DOCKER_HOST). */
  boxEnv?: string[];
  /** More host paths bound into every box (e.g. the in-box engine toolchain, read-only). */
  extraBinds?: Array<{ source: string; target: string; readonly: boolean }>;
  /** Size of each box's writable layer (an ext4 loop image); 0 = a plain directory without a cap. */
  diskBytes?: number;
  /** Saved writable layers (per owner) and their compressed size cap; no saving when absent. */
  saves?: { dir: string; maxBytes: number };
  /** Boxes one owner may hold at once. */
  maxBoxesPerOwner?: number;
  /** Told as soon as a box's init ends on its own (not through destroy): the box's machine is gone. */
  onInitExit?: (box: BoxRecord) => void;
}

export const BoxRecordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  slot: z.number().int().nonnegative(),
  idBase: z.number().int().positive(),
  address: z.string(),
  hostIf: z.string(),
  pid: z.number().int().positive(),
  createdAt: z.string(),
  owner: z.string().nullable(),
  /** Where the overlay's upper and work dirs live (a loop-mounted image or a plain dir). */
  layerDir: z.string().optional(),
  /** What the box was given (absent in records of older versions: the defaults). */
  limits: z
    .object({
      memoryBytes: z.number().int().positive(),
      pids: z.number().int().positive(),
      cpus: z.number().positive(),
      diskBytes: z.number().int().nonnegative(),
    })
    .optional(),
  /** Per-box life-cycle limits (a lesson's, within the host's); absent = the host's. */
  idleTimeoutSeconds: z.number().int().positive().optional(),
  maxLifetimeSeconds: z.number().int().positive().optional(),
});
export type BoxRecord = z.infer<typeof BoxRecordSchema>;

export class BoxError extends Error {
  constructor(
    readonly code: 'capacity' | 'owner-limit' | 'not-found' | 'start-failed',
    message: string,
  ) {
    super(message);
    this.name = 'BoxError';
  }
}

/**
 * Lab box life cycle on one host. A box is an OCI container run by our runtime (dyrt under dyshim): the lab image's
 * layer idmapped into the box's uid range and overlaid with its own writable layer (a size-capped loop filesystem),
 * a delegated cgroup subtree, and an isolated veth on the lab bridge. Every step of create is undone if a later one
 * fails; at start-up, live boxes are re-adopted and whatever dead ones left behind is removed.
 */
export class BoxManager {
  private readonly runtime: string;
  private readonly idCount: number;
  private readonly boxes = new Map<string, BoxRecord>();
  private readonly lastActive = new Map<string, number>();
  private readonly initWatchers = new Map<string, ShimAttachment>();
  private readonly destroying = new Map<string, Promise<void>>();
  readonly layers: LayerStore | null;

  constructor(private readonly opts: BoxManagerOptions) {
    this.runtime = opts.runtime ?? nativeBin('dyrt');
    this.idCount = opts.idCount ?? 65536;
    this.layers = opts.saves ? new LayerStore(opts.saves.dir, opts.saves.maxBytes) : null;
  }

  private get runtimeRoot() {
    return join(this.opts.runRoot, 'runtime');
  }

  private boxRunDir(id: string) {
    return join(this.opts.runRoot, 'boxes', id);
  }

  private boxDataDir(id: string) {
    return join(this.opts.dataRoot, 'boxes', id);
  }

  private containerId(id: string) {
    return `dybox-${id}`;
  }

  private rt(...args: string[]) {
    return run([this.runtime, '--root', this.runtimeRoot, ...args]);
  }

  /** Prepares the host side, re-adopts boxes that are still running and cleans up after the ones that are not. */
  async init(): Promise<{ adopted: string[]; cleaned: string[] }> {
    for (const dir of [this.opts.dataRoot, this.opts.runRoot, this.runtimeRoot])
      mkdirSync(dir, { recursive: true });
    mkdirSync(join(this.opts.dataRoot, 'boxes'), { recursive: true });
    mkdirSync(join(this.opts.runRoot, 'boxes'), { recursive: true });
    // A box's root (an unprivileged host uid) must be able to traverse down to its rootfs and layers.
    for (const dir of [
      this.opts.dataRoot,
      this.opts.runRoot,
      join(this.opts.dataRoot, 'boxes'),
      join(this.opts.runRoot, 'boxes'),
    ]) {
      chmodSync(dir, 0o711);
    }
    await ensureLabNetwork(this.opts.network);
    const ids = new Set<string>();
    for (const parent of [join(this.opts.dataRoot, 'boxes'), join(this.opts.runRoot, 'boxes')]) {
      for (const name of readdirSync(parent)) if (/^[0-9a-f]{12}$/.test(name)) ids.add(name);
    }
    const listed = await this.rt('list', '-q').catch(() => '');
    for (const line of listed.split('\n')) {
      const match = /^dybox-([0-9a-f]{12})$/.exec(line.trim());
      if (match?.[1]) ids.add(match[1]);
    }
    const adopted: string[] = [];
    const cleaned: string[] = [];
    for (const id of ids) {
      const record = this.readRecord(id);
      if (record && (await this.isRunning(record))) {
        this.boxes.set(id, record);
        this.lastActive.set(id, Date.now());
        this.watchInit(record);
        adopted.push(id);
      } else {
        await this.cleanupLeftover(id, record);
        cleaned.push(id);
      }
    }
    return { adopted, cleaned };
  }

  private readRecord(id: string): BoxRecord | null {
    const file = join(this.boxDataDir(id), 'box.json');
    if (!existsSync(file)) return null;
    try {
      const record = BoxRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      return record.success && record.data.id === id ? record.data : null;
    } catch {
      return null;
    }
  }

  private async isRunning(record: BoxRecord): Promise<boolean> {
    try {
      const state = z
        .object({ status: z.string(), pid: z.number() })
        .parse(JSON.parse(await this.rt('state', this.containerId(record.id))));
      return state.status === 'running' && state.pid === record.pid && existsSync(`/proc/${record.pid}`);
    } catch {
      return false;
    }
  }

  /** Removes everything a dead (or half-created) box may have left: container, shims, cgroups, veth, mounts, dirs. */
  private async cleanupLeftover(id: string, record: BoxRecord | null) {
    const runDir = this.boxRunDir(id);
    await attempt(() => this.rt('kill', '--all', this.containerId(id), 'KILL'));
    killShims(runDir);
    for (const dir of cgroupDirsUnder(`${this.opts.cgroupParent}/${id}`))
      await attempt(() => removeCgroupTree(dir));
    await attempt(() => this.rt('delete', '--force', this.containerId(id)));
    await detachBox(record?.hostIf ?? `dyl${id.slice(0, 8)}`);
    // The writable layer of a box that died with an owner is still the student's work.
    const upper = record?.layerDir ? join(record.layerDir, 'upper') : undefined;
    if (record?.owner && upper && this.layers) {
      await attempt(() => this.layers?.save(record.owner as string, upper, record.idBase));
    }
    for (const target of mountsUnder(runDir)) await attempt(() => run(['umount', '-l', target]));
    rmSync(runDir, { recursive: true, force: true });
    rmSync(this.boxDataDir(id), { recursive: true, force: true });
  }

  list(): BoxRecord[] {
    return [...this.boxes.values()];
  }

  get(id: string): BoxRecord {
    const box = this.boxes.get(id);
    if (!box) throw new BoxError('not-found', `no such box: ${id}`);
    return box;
  }

  /** Records student activity (terminal input, file API, checks); idle reaping follows it. */
  touch(id: string) {
    if (this.boxes.has(id)) this.lastActive.set(id, Date.now());
  }

  /** Milliseconds since the box last saw activity. */
  idleFor(id: string, now = Date.now()): number {
    return now - (this.lastActive.get(id) ?? now);
  }

  /** Hands an unowned (pooled) box to an owner. */
  assign(id: string, owner: string): BoxRecord {
    const box = this.get(id);
    if (box.owner !== null) throw new Error(`box ${id} already belongs to someone`);
    this.checkOwnerLimit(owner);
    const record = { ...box, owner };
    writeFileSync(join(this.boxDataDir(id), 'box.json'), JSON.stringify(record));
    this.boxes.set(id, record);
    this.touch(id);
    return record;
  }

  /**
   * Changes a running box's cgroup limits (memory+swap, pids, cpu) and life-cycle limits. The disk cap is fixed
   * when the box is made. The caller clamps them to the host's maxima.
   */
  async setLimits(
    id: string,
    limits: { memoryBytes: number; pids: number; cpus: number },
    life: { idleTimeoutSeconds?: number; maxLifetimeSeconds?: number } = {},
  ): Promise<BoxRecord> {
    const box = this.get(id);
    const current = box.limits;
    if (
      !current ||
      current.memoryBytes !== limits.memoryBytes ||
      current.pids !== limits.pids ||
      current.cpus !== limits.cpus
    ) {
      await this.rt(
        'update',
        '--memory',
        String(limits.memoryBytes),
        '--memory-swap',
        String(limits.memoryBytes),
        '--pids-limit',
        String(limits.pids),
        '--cpu-quota',
        String(Math.round(limits.cpus * 100000)),
        '--cpu-period',
        '100000',
        this.containerId(id),
      );
    }
    const record: BoxRecord = {
      ...box,
      limits: { ...limits, diskBytes: current?.diskBytes ?? this.opts.diskBytes ?? 0 },
      idleTimeoutSeconds: life.idleTimeoutSeconds,
      maxLifetimeSeconds: life.maxLifetimeSeconds,
    };
    writeFileSync(join(this.boxDataDir(id), 'box.json'), JSON.stringify(record));
    this.boxes.set(id, record);
    return record;
  }

  /** The dyshim state dir of the box's init. */
  initShimDir(id: string): string {
    return join(this.boxRunDir(id), 'shim');
  }

  /** Listens on the init's shim for its exit, so a box whose machine ended is noticed at once, not on a reap. */
  private watchInit(record: BoxRecord) {
    const onExit = this.opts.onInitExit;
    if (!onExit) return;
    const watcher = attachShim(this.initShimDir(record.id), { replay: false, stdin: false });
    this.initWatchers.set(record.id, watcher);
    const report = (ended: boolean) => {
      if (this.initWatchers.get(record.id) !== watcher) return;
      this.initWatchers.delete(record.id);
      const box = this.boxes.get(record.id);
      if (!box) return;
      if (ended || !existsSync(`/proc/${box.pid}`)) onExit(box);
      // Only the connection broke: listen again while the shim still serves (else the reaper notices).
      else if (existsSync(join(this.initShimDir(box.id), 'attach.sock'))) this.watchInit(box);
    };
    watcher.onExit(() => report(true));
    // The shim itself went away (killed with its box): the same news, if the init is gone.
    watcher.onClose(() => setTimeout(() => report(false), 100));
  }

  /** Stops listening for init exits (sandboxd shutting down; the boxes live on). */
  stopWatching() {
    for (const id of [...this.initWatchers.keys()]) this.unwatchInit(id);
  }

  private unwatchInit(id: string) {
    const watcher = this.initWatchers.get(id);
    this.initWatchers.delete(id);
    watcher?.close();
  }

  private checkOwnerLimit(owner: string) {
    const limit = this.opts.maxBoxesPerOwner ?? 1;
    if (this.list().filter((b) => b.owner === owner).length >= limit) {
      throw new BoxError('owner-limit', `at most ${limit} lab box(es) per person`);
    }
  }

  private freeSlot(): number {
    const used = new Set([...this.boxes.values()].map((b) => b.slot));
    for (let slot = 0; slot < this.opts.maxBoxes; slot++) if (!used.has(slot)) return slot;
    throw new BoxError('capacity', `this host is at its capacity of ${this.opts.maxBoxes} lab boxes`);
  }

  async create(
    opts: {
      owner?: string;
      limits?: Partial<BoxLimits>;
      /** Overrides the manager's disk cap for this box. */
      diskBytes?: number;
      idleTimeoutSeconds?: number;
      maxLifetimeSeconds?: number;
    } = {},
  ): Promise<BoxRecord> {
    if (opts.owner !== undefined) this.checkOwnerLimit(opts.owner);
    const slot = this.freeSlot();
    const id = randomBytes(6).toString('hex');
    const idBase = this.opts.idBase + slot * this.idCount;
    const address = boxAddress(this.opts.network.subnet, slot);
    if (address === null) throw new BoxError('capacity', 'the lab subnet has no free address');
    const limits = { ...this.opts.defaultLimits, ...opts.limits };
    const runDir = this.boxRunDir(id);
    const dataDir = this.boxDataDir(id);
    const diskBytes = opts.diskBytes ?? this.opts.diskBytes ?? 0;
    const layerDir = diskBytes > 0 ? join(runDir, 'disk') : dataDir;
    // Reserve the slot before the first await so concurrent creates never share a uid range.
    const placeholder: BoxRecord = {
      id,
      slot,
      idBase,
      address,
      hostIf: `dyl${id.slice(0, 8)}`,
      pid: 1,
      createdAt: new Date().toISOString(),
      owner: opts.owner ?? null,
      layerDir,
      limits: { memoryBytes: limits.memoryBytes, pids: limits.pids, cpus: limits.cpus, diskBytes },
      idleTimeoutSeconds: opts.idleTimeoutSeconds,
      maxLifetimeSeconds: opts.maxLifetimeSeconds,
    };
    this.boxes.set(id, placeholder);
    const undo: Array<() => Promise<unknown> | unknown> = [];
    try {
      const lower = join(runDir, 'lower');
      const rootfs = join(runDir, 'rootfs');
      const bundle = join(runDir, 'bundle');
      for (const dir of [lower, rootfs, bundle, dataDir, layerDir]) mkdirSync(dir, { recursive: true });
      undo.push(() => rmSync(runDir, { recursive: true, force: true }));
      undo.push(() => rmSync(dataDir, { recursive: true, force: true }));
      if (diskBytes > 0) {
        const image = join(dataDir, 'disk.img');
        writeFileSync(image, '');
        truncateSync(image, diskBytes);
        await run([
          'mkfs.ext4',
          '-q',
          '-F',
          '-m',
          '0',
          '-E',
          'lazy_itable_init=1,lazy_journal_init=1',
          image,
        ]);
        await run(['mount', '-o', 'loop,nodev,nosuid', image, layerDir]);
        undo.push(() => run(['umount', layerDir]));
        rmSync(join(layerDir, 'lost+found'), { recursive: true, force: true });
      }
      const upper = join(layerDir, 'upper');
      const workDir = join(layerDir, 'work');
      mkdirSync(upper);
      mkdirSync(workDir);
      chownSync(upper, idBase, idBase);
      chownSync(workDir, idBase, idBase);
      if (opts.owner !== undefined) await this.layers?.restore(opts.owner, upper, idBase);
      await run([
        nativeBin('dyidmap'),
        '--recursive',
        '--readonly',
        '--map',
        `0:${idBase}:${this.idCount}`,
        this.opts.imageRootfs,
        lower,
      ]);
      undo.push(() => run(['umount', lower]));
      await run([
        'mount',
        '-t',
        'overlay',
        `dybox-${id}`,
        '-o',
        `lowerdir=${lower},upperdir=${upper},workdir=${workDir}`,
        rootfs,
      ]);
      undo.push(() => run(['umount', rootfs]));
      const spec = boxSpec({
        id,
        rootfs,
        hostname: 'lab',
        idBase,
        idCount: this.idCount,
        cgroupsPath: `${this.opts.cgroupParent}/${id}`,
        limits: {
          memoryBytes: limits.memoryBytes,
          memorySwapBytes: limits.memorySwapBytes,
          pids: limits.pids,
          cpus: limits.cpus,
        },
        binds: [
          { source: this.opts.initBinary ?? '/usr/bin/tini-static', target: BOX_INIT, readonly: true },
          ...(this.opts.extraBinds ?? []),
        ],
        tmpSizeBytes: limits.tmpBytes,
        initArgs: this.opts.initArgs,
        env: this.opts.boxEnv,
      });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      const shimState = join(runDir, 'shim');
      mkdirSync(shimState);
      const started = await startShim({
        id: this.containerId(id),
        bundle,
        stateDir: shimState,
        runtime: this.runtime,
        runtimeRoot: this.runtimeRoot,
        logPath: join(runDir, 'init.log'),
        logMaxSize: 1024 * 1024,
        logMaxFiles: 1,
      });
      undo.push(() => this.deleteContainer(id));
      delegateCgroups(boxCgroupDirs(started.pid), idBase);
      await attachBox(this.opts.network, { pid: started.pid, hostIf: placeholder.hostIf, address });
      undo.push(() => detachBox(placeholder.hostIf));
      await this.rt('start', this.containerId(id));
      const record: BoxRecord = { ...placeholder, pid: started.pid };
      writeFileSync(join(dataDir, 'box.json'), JSON.stringify(record));
      this.boxes.set(id, record);
      this.touch(id);
      this.watchInit(record);
      return record;
    } catch (error) {
      this.boxes.delete(id);
      for (const step of undo.reverse()) await attempt(step);
      throw new BoxError('start-failed', `lab box could not start: ${(error as Error).message}`);
    }
  }

  /** Host-side process spec for a command run in the box (terminals, setup scripts). */
  processSpec(args: string[], opts: { tty: boolean; env?: string[]; cwd?: string }) {
    return {
      terminal: opts.tty,
      user: { uid: 0, gid: 0 },
      args,
      env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'TERM=xterm-256color',
        'HOME=/root',
        'LANG=C.UTF-8',
        ...(this.opts.boxEnv ?? []),
        ...(opts.env ?? []),
      ],
      cwd: opts.cwd ?? '/root',
      capabilities: {
        bounding: BOX_CAPS,
        effective: BOX_CAPS,
        permitted: BOX_CAPS,
        inheritable: [],
        ambient: [],
      },
    };
  }

  /** Runs a command in the box to completion (as the box's root) and returns its output. */
  async exec(id: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    this.get(id);
    const processFile = join(this.boxRunDir(id), `exec-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(processFile, JSON.stringify(this.processSpec(args, { tty: false })));
    try {
      return await run(
        [this.runtime, '--root', this.runtimeRoot, 'exec', '--process', processFile, this.containerId(id)],
        {
          timeoutMs: opts.timeoutMs ?? 30_000,
        },
      );
    } finally {
      rmSync(processFile, { force: true });
    }
  }

  /** A box's persistent state dir (its record and what sandboxd notes about it; removed with the box). */
  stateDir(id: string): string {
    this.get(id);
    return this.boxDataDir(id);
  }

  /** Where a box keeps its terminals' shim state (inside its volatile run dir). */
  terminalsDir(id: string): string {
    return join(this.boxRunDir(id), 'terminals');
  }

  /**
   * Starts a login shell with a PTY in the box, held by its own dyshim so it outlives sandboxd restarts.
   * The caller attaches to `stateDir` for its output.
   */
  async startTerminal(
    id: string,
    stateDir: string,
    size: { rows: number; cols: number },
  ): Promise<StartedShim> {
    this.get(id);
    mkdirSync(stateDir, { recursive: true });
    const processFile = join(stateDir, 'process.json');
    const spec = {
      ...this.processSpec(['/bin/bash', '-l'], { tty: true }),
      consoleSize: { height: size.rows, width: size.cols },
    };
    writeFileSync(processFile, JSON.stringify(spec));
    return startShim({
      id: this.containerId(id),
      stateDir,
      runtime: this.runtime,
      runtimeRoot: this.runtimeRoot,
      tty: true,
      stdin: true,
      exec: { processFile, execId: randomBytes(6).toString('hex') },
    });
  }

  private async deleteContainer(id: string) {
    const record = this.boxes.get(id);
    const dirs = record && record.pid > 1 ? boxCgroupDirs(record.pid) : [];
    for (const dir of dirs) await attempt(() => thawTree(dir));
    await attempt(() => this.rt('kill', '--all', this.containerId(id), 'KILL'));
    const shimState = join(this.boxRunDir(id), 'shim');
    for (let i = 0; i < 100 && existsSync(shimState) && (await readExit(shimState)) === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const dir of dirs) await attempt(() => removeCgroupTree(dir, { keepRoot: true }));
    await attempt(() => this.rt('delete', '--force', this.containerId(id)));
    // The runtime gives up on a cgroup whose tasks are still exiting after a while; what it left is removed here.
    for (const dir of cgroupDirsUnder(`${this.opts.cgroupParent}/${id}`)) await removeCgroupTree(dir);
  }

  /**
   * Destroys a box. With `save`, its owner's writable layer is kept (compressed, size-capped) for their next box;
   * without, an owner's earlier save stays as it was.
   */
  async destroy(id: string, opts: { save?: boolean } = {}): Promise<void> {
    // The reaper, a dead init's notice and a leaving student may all end the same box: one destruction.
    const running = this.destroying.get(id);
    if (running) return running;
    this.get(id);
    const destruction = this.destroyNow(id, opts).finally(() => this.destroying.delete(id));
    this.destroying.set(id, destruction);
    return destruction;
  }

  private async destroyNow(id: string, opts: { save?: boolean }) {
    const box = this.get(id);
    this.unwatchInit(id);
    const runDir = this.boxRunDir(id);
    const errors = [await attempt(() => this.deleteContainer(id))];
    if (opts.save && box.owner && box.layerDir && this.layers) {
      const owner = box.owner;
      const layerDir = box.layerDir;
      errors.push(await attempt(() => this.layers?.save(owner, join(layerDir, 'upper'), box.idBase)));
    }
    errors.push(
      await attempt(() => detachBox(box.hostIf)),
      await attempt(() => run(['umount', join(runDir, 'rootfs')])),
      await attempt(() => run(['umount', join(runDir, 'lower')])),
    );
    if (existsSync(join(this.boxDataDir(id), 'disk.img'))) {
      errors.push(await attempt(() => run(['umount', join(runDir, 'disk')])));
    }
    killShims(runDir);
    rmSync(runDir, { recursive: true, force: true });
    rmSync(this.boxDataDir(id), { recursive: true, force: true });
    this.boxes.delete(id);
    this.lastActive.delete(id);
    const failed = errors.filter((e) => e !== null);
    if (failed.length > 0) throw new Error(`box ${id} cleanup: ${failed.map((e) => e?.message).join('; ')}`);
  }
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readMountinfo(process.pid)
    .map((m) => m.target)
    .filter((target) => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Kills the dyshims whose state lives under a box's run dir (the box's own and its terminals'). */
function killShims(runDir: string) {
  const stateDirs = [join(runDir, 'shim')];
  const terminals = join(runDir, 'terminals');
  if (existsSync(terminals)) for (const name of readdirSync(terminals)) stateDirs.push(join(terminals, name));
  for (const dir of stateDirs) {
    try {
      const pid = Number(readFileSync(join(dir, 'shim.pid'), 'utf8').trim());
      // Only a dyshim still serving this state dir: pids get reused.
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('dyshim') && cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
    } catch {
      // no shim, or it is gone already
    }
  }
}
