import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxManager, type BoxRecord } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import { type BoxDockerMode, boxToolchain } from '../src/boxes/toolchain.js';

/**
 * A real lab box as students get it (BoxManager, box-init, the nested engine toolchain bound in), for tests of
 * sandboxd and of other packages (the grader, the lessons' solutions). Unique bridge, subnet, cgroup parent,
 * iptables chain and uid range per call; `destroy()` removes all of it.
 */
export interface NestedBox {
  manager: BoxManager;
  box: BoxRecord;
  /** The box's cgroup parent on the host (`/dytest-<part>-<suffix>`). */
  cgroupParent: string;
  /** The toolchain version dir bound into the box. */
  toolchain: string;
  /** Runs a shell script in the box as its root; rejects on a non-zero exit. */
  sh(script: string, opts?: { timeoutMs?: number }): Promise<string>;
  destroy(): Promise<void>;
}

export interface NestedBoxOptions {
  /** Short name of the suite, in every name it makes (at most 5 characters). */
  part: string;
  /** Second octet of the box subnet, 10.<n>.x.0/24: one per suite. */
  subnetOctet: number;
  /** First host uid of the suite's range; boxes take 65536 each after it. */
  idBase: number;
  docker?: BoxDockerMode;
  owner?: string;
  maxBoxes?: number;
  /** Base images (infra/images) the nested engine may import. */
  images?: string[];
  memoryBytes?: number;
  tmpBytes?: number;
}

const repo = join(import.meta.dirname, '../../..');

function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '')
    .filter(Boolean);
}

export async function startNestedBox(opts: NestedBoxOptions): Promise<NestedBox> {
  const suffix = Math.random().toString(16).slice(2, 6);
  const n = Number.parseInt(suffix, 16);
  const network = {
    bridge: `dyt${opts.part}${suffix}`.slice(0, 15),
    subnet: `10.${opts.subnetOctet}.${n % 250}.0/24`,
    chain: `DYTEST-${opts.part.toUpperCase()}-${suffix}`,
  };
  const cgroupParent = `/dytest-${opts.part}-${suffix}`;
  const maxBoxes = opts.maxBoxes ?? 1;
  const work = mkdtempSync(join(tmpdir(), `dy-${opts.part}-`));
  chmodSync(work, 0o711);
  const build = (script: string, arg: string) =>
    execFileSync('bash', [join(repo, script), arg], { encoding: 'utf8' }).trim();
  const destroyAll = async (manager?: BoxManager) => {
    manager?.stopWatching();
    for (const b of manager?.list() ?? []) await manager?.destroy(b.id).catch(() => {});
    await removeLabNetwork(network).catch(() => {});
    rmSync(work, { recursive: true, force: true });
    for (const root of cgroupRoots()) spawnSync('rmdir', [join(root, cgroupParent)]);
  };
  let manager: BoxManager | undefined;
  try {
    const toolchainVersion = build('infra/box-toolchain/build.sh', join(work, 'toolchain'));
    const imageRootfs = build('infra/images/build.sh', 'lab-debian');
    for (const image of opts.images ?? ['busybox']) build('infra/images/build.sh', image);
    const toolchain = boxToolchain(join(work, 'toolchain/current'), '/var/cache/dockyard/images', {
      docker: opts.docker ?? 'cli',
    });
    if (!toolchain) throw new Error('box toolchain did not build');
    const memoryBytes = opts.memoryBytes ?? 768 * 2 ** 20;
    manager = new BoxManager({
      dataRoot: join(work, 'data'),
      runRoot: join(work, 'run'),
      imageRootfs,
      idBase: opts.idBase + (n % 100) * maxBoxes * 65536,
      maxBoxes,
      network,
      cgroupParent,
      defaultLimits: {
        memoryBytes,
        memorySwapBytes: memoryBytes,
        pids: 512,
        cpus: 1,
        tmpBytes: opts.tmpBytes ?? 128 * 2 ** 20,
      },
      extraBinds: toolchain.binds,
      initBinary: toolchain.init?.binary,
      initArgs: toolchain.init?.args,
      boxEnv: toolchain.env,
    });
    await manager.init();
    const box = await manager.create({ owner: opts.owner });
    const boxes = manager;
    return {
      manager: boxes,
      box,
      cgroupParent,
      toolchain: toolchainVersion,
      sh: (script, o = {}) => boxes.exec(box.id, ['sh', '-c', script], { timeoutMs: o.timeoutMs ?? 60_000 }),
      destroy: () => destroyAll(boxes),
    };
  } catch (error) {
    await destroyAll(manager);
    throw error;
  }
}
