import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boxCgroupDirs } from '../../../apps/sandboxd/src/boxes/cgroups.js';
import { BoxManager, type BoxRecord } from '../../../apps/sandboxd/src/boxes/manager.js';
import { removeLabNetwork } from '../../../apps/sandboxd/src/boxes/network.js';
import { boxToolchain } from '../../../apps/sandboxd/src/boxes/toolchain.js';
import { configSchema } from '../../../apps/sandboxd/src/config.js';
import type { BoxTarget } from '../src/target.js';

/**
 * Lab boxes for whole lessons, as students get them (sandboxd's BoxManager, the nested engine bound in), one
 * manager per lab image with its own bridge, subnet, cgroup parent and uid range, at most `slots` boxes at once.
 */
export interface LessonBox {
  box: BoxRecord;
  target: BoxTarget;
  /** Runs a bash script in the box as root (cwd /root, stdin /dev/null); its output and exit status. */
  bash(script: string, timeoutMs?: number): Promise<{ status: number; output: string }>;
  /** Copies host files into the box (owned by the box's root), e.g. a lesson's files/ and solutions/. */
  copyIn(hostDir: string, names: string[], boxDir: string): Promise<void>;
}

const repo = join(import.meta.dirname, '../../..');

function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '')
    .filter(Boolean);
}

const build = (script: string, arg: string) =>
  execFileSync('bash', [join(repo, script), arg], { encoding: 'utf8' }).trim();

export class LessonBoxes {
  private readonly suffix = Math.random().toString(16).slice(2, 6);
  private readonly work = mkdtempSync(join(tmpdir(), 'dy-curriculum-'));
  private readonly managers = new Map<string, Promise<BoxManager>>();
  private readonly cleanups: Array<() => Promise<void>> = [];
  private readonly toolchain: string;
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {
    chmodSync(this.work, 0o711);
    this.free = slots;
    this.toolchain = build('infra/box-toolchain/build.sh', join(this.work, 'toolchain'));
    build('infra/images/build.sh', 'busybox');
  }

  /** One manager per image, made once even when several lessons ask at the same time. */
  private managerFor(image: string): Promise<BoxManager> {
    let manager = this.managers.get(image);
    if (!manager) {
      manager = this.makeManager(image, this.managers.size);
      this.managers.set(image, manager);
    }
    return manager;
  }

  private async makeManager(image: string, index: number): Promise<BoxManager> {
    const tag = `${this.suffix}${index}`;
    const network = {
      bridge: `dytcur${tag}`,
      subnet: `10.236.${(Number.parseInt(this.suffix, 16) + index * 7) % 250}.0/24`,
      chain: `DYTEST-CUR-${tag}`,
    };
    const cgroupParent = `/dytest-curriculum-${tag}`;
    // `docker` as sandboxd gives it to students: its default, or SANDBOXD_BOX_DOCKER as sandboxd reads it.
    const docker = configSchema.shape.boxDocker.parse(process.env.SANDBOXD_BOX_DOCKER);
    const toolchain = boxToolchain(this.toolchain, '/var/cache/dockyard/images', { docker });
    if (!toolchain) throw new Error(`no box toolchain in ${this.toolchain}`);
    const manager = new BoxManager({
      dataRoot: join(this.work, image, 'data'),
      runRoot: join(this.work, image, 'run'),
      imageRootfs: build('infra/images/build.sh', image),
      idBase: 40_000_000 + ((Number.parseInt(this.suffix, 16) % 50) * 8 + index * 4) * 65536,
      maxBoxes: this.slots,
      network,
      cgroupParent,
      defaultLimits: {
        memoryBytes: 768 * 2 ** 20,
        memorySwapBytes: 768 * 2 ** 20,
        pids: 512,
        cpus: 1,
        tmpBytes: 128 * 2 ** 20,
      },
      extraBinds: toolchain.binds,
      initBinary: toolchain.init?.binary,
      initArgs: toolchain.init?.args,
      boxEnv: toolchain.env,
    });
    const cleanup = async () => {
      for (const b of manager.list()) await manager.destroy(b.id).catch(() => {});
      await removeLabNetwork(network).catch(() => {});
      for (const root of cgroupRoots()) spawnSync('rmdir', [join(root, cgroupParent)]);
    };
    this.cleanups.push(cleanup);
    await manager.init();
    return manager;
  }

  private async acquire() {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Runs `use` with a fresh box of `image`, which is destroyed afterwards whatever happens. */
  async with<T>(image: string, use: (box: LessonBox) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const manager = await this.managerFor(image);
      const box = await manager.create();
      try {
        return await use(this.lessonBox(manager, box));
      } finally {
        await manager.destroy(box.id);
      }
    } finally {
      this.release();
    }
  }

  private lessonBox(manager: BoxManager, box: BoxRecord): LessonBox {
    const cgroupDir = boxCgroupDirs(box.pid)[0];
    if (!cgroupDir) throw new Error(`box ${box.id} has no cgroup`);
    return {
      box,
      target: { initPid: box.pid, cgroupDir },
      async bash(script, timeoutMs = 180_000) {
        // Output goes to a file, not the exec pipe, so processes a script leaves running cannot hold it open.
        const wrapped = `cd /root; out=$(mktemp /tmp/.dy-out.XXXXXX); bash -c "$1" bash >"$out" 2>&1 </dev/null; status=$?; cat "$out"; rm -f "$out"; echo "__status=$status"`;
        let text: string;
        try {
          text = await manager.exec(box.id, ['bash', '-c', wrapped, 'bash', script], { timeoutMs });
        } catch (error) {
          // A script that outlives its time (or a box that died) is a failed step, reported with the rest.
          return { status: -1, output: (error as Error).message };
        }
        const match = /__status=(\d+)\n?$/.exec(text);
        return {
          status: match ? Number(match[1]) : -1,
          output: match ? text.slice(0, match.index) : text,
        };
      },
      async copyIn(hostDir, names, boxDir) {
        const present = names.filter((n) => existsSync(join(hostDir, n)));
        if (present.length === 0) return;
        // Host root cannot create files in the box's own tmpfs (its uid is unmapped there), so the archive
        // travels base64-encoded in command arguments, in chunks below the kernel's per-argument limit.
        const archive = execFileSync('tar', ['-C', hostDir, '-cz', ...present]).toString('base64');
        const file = `/tmp/.dy-copy-${Math.random().toString(16).slice(2)}`;
        for (let at = 0; at < archive.length; at += 100_000) {
          await manager.exec(box.id, [
            'sh',
            '-c',
            'printf %s "$2" >> "$1"',
            'sh',
            file,
            archive.slice(at, at + 100_000),
          ]);
        }
        await manager.exec(box.id, [
          'sh',
          '-c',
          'mkdir -p "$1" && base64 -d "$2" | tar -xz -C "$1" --no-same-owner; status=$?; rm -f "$2"; exit $status',
          'sh',
          boxDir,
          file,
        ]);
      },
    };
  }

  async close() {
    await Promise.allSettled(this.managers.values());
    for (const cleanup of this.cleanups) await cleanup();
    this.managers.clear();
    rmSync(this.work, { recursive: true, force: true });
  }
}
