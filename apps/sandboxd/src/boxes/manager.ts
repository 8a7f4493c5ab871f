import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExit, type StartedShim, startShim } from '@dockyard/runtime/shim';
import { z } from 'zod';
import { attempt, run } from '../util/exec.js';
import { boxCgroupDirs, delegateCgroups, removeChildCgroups } from './cgroups.js';
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
  /** Host init bind-mounted into every box (reaps zombies as PID 1). */
  initBinary?: string;
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
});
export type BoxRecord = z.infer<typeof BoxRecordSchema>;

export class BoxError extends Error {
  constructor(
    readonly code: 'capacity' | 'not-found' | 'start-failed',
    message: string,
  ) {
    super(message);
    this.name = 'BoxError';
  }
}

/**
 * Lab box life cycle on one host. A box is an OCI container run by our runtime (dyrt under dyshim): the lab image's
 * layer idmapped into the box's uid range and overlaid with its own writable layer, a delegated cgroup subtree,
 * and an isolated veth on the lab bridge. Every step of create is undone if a later one fails.
 */
export class BoxManager {
  private readonly runtime: string;
  private readonly idCount: number;
  private readonly boxes = new Map<string, BoxRecord>();

  constructor(private readonly opts: BoxManagerOptions) {
    this.runtime = opts.runtime ?? nativeBin('dyrt');
    this.idCount = opts.idCount ?? 65536;
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

  async init() {
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
    for (const name of readdirSync(join(this.opts.dataRoot, 'boxes'))) {
      const file = join(this.boxDataDir(name), 'box.json');
      if (!existsSync(file)) continue;
      const record = BoxRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (record.success) this.boxes.set(record.data.id, record.data);
    }
  }

  list(): BoxRecord[] {
    return [...this.boxes.values()];
  }

  get(id: string): BoxRecord {
    const box = this.boxes.get(id);
    if (!box) throw new BoxError('not-found', `no such box: ${id}`);
    return box;
  }

  private freeSlot(): number {
    const used = new Set([...this.boxes.values()].map((b) => b.slot));
    for (let slot = 0; slot < this.opts.maxBoxes; slot++) if (!used.has(slot)) return slot;
    throw new BoxError('capacity', `this host is at its capacity of ${this.opts.maxBoxes} lab boxes`);
  }

  async create(opts: { owner?: string; limits?: Partial<BoxLimits> } = {}): Promise<BoxRecord> {
    const slot = this.freeSlot();
    const id = randomBytes(6).toString('hex');
    const idBase = this.opts.idBase + slot * this.idCount;
    const address = boxAddress(this.opts.network.subnet, slot);
    if (address === null) throw new BoxError('capacity', 'the lab subnet has no free address');
    const limits = { ...this.opts.defaultLimits, ...opts.limits };
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
    };
    this.boxes.set(id, placeholder);
    const undo: Array<() => Promise<unknown> | unknown> = [];
    try {
      const runDir = this.boxRunDir(id);
      const dataDir = this.boxDataDir(id);
      const lower = join(runDir, 'lower');
      const rootfs = join(runDir, 'rootfs');
      const bundle = join(runDir, 'bundle');
      for (const dir of [lower, rootfs, bundle, join(dataDir, 'upper'), join(dataDir, 'work')]) {
        mkdirSync(dir, { recursive: true });
      }
      undo.push(() => rmSync(runDir, { recursive: true, force: true }));
      undo.push(() => rmSync(dataDir, { recursive: true, force: true }));
      chownSync(join(dataDir, 'upper'), idBase, idBase);
      chownSync(join(dataDir, 'work'), idBase, idBase);
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
        `lowerdir=${lower},upperdir=${join(dataDir, 'upper')},workdir=${join(dataDir, 'work')}`,
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
        binds: [{ source: this.opts.initBinary ?? '/usr/bin/tini-static', target: BOX_INIT, readonly: true }],
        tmpSizeBytes: limits.tmpBytes,
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
      await run([this.runtime, '--root', this.runtimeRoot, 'start', this.containerId(id)]);
      const record: BoxRecord = { ...placeholder, pid: started.pid };
      writeFileSync(join(dataDir, 'box.json'), JSON.stringify(record));
      this.boxes.set(id, record);
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
    const rt = [this.runtime, '--root', this.runtimeRoot];
    const record = this.boxes.get(id);
    const dirs = record && record.pid > 1 ? boxCgroupDirs(record.pid) : [];
    await attempt(() => run([...rt, 'kill', '--all', this.containerId(id), 'KILL']));
    const shimState = join(this.boxRunDir(id), 'shim');
    for (let i = 0; i < 100 && existsSync(shimState) && (await readExit(shimState)) === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const dir of dirs) await attempt(() => removeChildCgroups(dir));
    await attempt(() => run([...rt, 'delete', '--force', this.containerId(id)]));
  }

  async destroy(id: string) {
    const box = this.get(id);
    const runDir = this.boxRunDir(id);
    const errors = [
      await attempt(() => this.deleteContainer(id)),
      await attempt(() => detachBox(box.hostIf)),
      await attempt(() => run(['umount', join(runDir, 'rootfs')])),
      await attempt(() => run(['umount', join(runDir, 'lower')])),
    ].filter((e) => e !== null);
    rmSync(runDir, { recursive: true, force: true });
    rmSync(this.boxDataDir(id), { recursive: true, force: true });
    this.boxes.delete(id);
    if (errors.length > 0) throw new Error(`box ${id} cleanup: ${errors.map((e) => e?.message).join('; ')}`);
  }
}
