import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxManager, type BoxRecord } from '../../../apps/sandboxd/src/boxes/manager.js';
import { removeLabNetwork } from '../../../apps/sandboxd/src/boxes/network.js';
import { toolchainBinds } from '../../../apps/sandboxd/src/boxes/toolchain.js';
import type { BoxTarget } from '../src/target.js';

/**
 * A real lab box (sandboxd's BoxManager) with the nested engine bound in, as students get it: `docker` in the
 * box runs our engine there. Unique bridge, subnet, cgroup parent and uid range per run.
 */
export interface NestedBox {
  box: BoxRecord;
  target: BoxTarget;
  sh(script: string): Promise<string>;
  destroy(): Promise<void>;
}

const repo = join(import.meta.dirname, '../../..');

function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '')
    .filter(Boolean);
}

export async function startNestedBox(): Promise<NestedBox> {
  const suffix = Math.random().toString(16).slice(2, 6);
  const network = {
    bridge: `dytgrd${suffix}`,
    subnet: `10.235.${Number.parseInt(suffix, 16) % 250}.0/24`,
    chain: `DYTEST-GRD-${suffix}`,
  };
  const cgroupParent = `/dytest-grader-${suffix}`;
  const work = mkdtempSync(join(tmpdir(), 'dy-grader-'));
  chmodSync(work, 0o711);
  const build = (script: string, arg: string) =>
    execFileSync('bash', [join(repo, script), arg], { encoding: 'utf8' }).trim();
  const toolchain = build('infra/box-toolchain/build.sh', join(work, 'toolchain'));
  const imageRootfs = build('infra/images/build.sh', 'lab-debian');
  build('infra/images/build.sh', 'busybox');
  const manager = new BoxManager({
    dataRoot: join(work, 'data'),
    runRoot: join(work, 'run'),
    imageRootfs,
    idBase: 12_000_000 + (Number.parseInt(suffix, 16) % 100) * 65536,
    maxBoxes: 1,
    network,
    cgroupParent,
    defaultLimits: {
      memoryBytes: 768 * 2 ** 20,
      memorySwapBytes: 768 * 2 ** 20,
      pids: 512,
      cpus: 1,
      tmpBytes: 64 * 2 ** 20,
    },
    extraBinds: toolchainBinds(toolchain, '/var/cache/dockyard/images') ?? [],
  });
  const destroy = async () => {
    for (const b of manager.list()) await manager.destroy(b.id).catch(() => {});
    await removeLabNetwork(network).catch(() => {});
    rmSync(work, { recursive: true, force: true });
    for (const root of cgroupRoots()) spawnSync('rmdir', [join(root, cgroupParent)]);
  };
  try {
    await manager.init();
    const box = await manager.create();
    return {
      box,
      target: { initPid: box.pid, cgroupDir: `/sys/fs/cgroup/pids${cgroupParent}/${box.id}` },
      sh: (script) => manager.exec(box.id, ['sh', '-c', script], { timeoutMs: 60_000 }),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
