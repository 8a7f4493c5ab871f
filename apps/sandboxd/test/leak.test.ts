import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupDirsUnder } from '../src/boxes/cgroups.js';
import { BoxManager } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import { labImage, leftovers, removeCgroupParent, uniqueNames } from './helpers.js';

const names = uniqueNames('leak');
const work = mkdtempSync(join(tmpdir(), 'dy-leak-'));
chmodSync(work, 0o711);
const network = { bridge: names.bridge, subnet: `10.238.${names.n % 250}.0/24`, chain: 'DOCKYARD-LABS' };
const manager = new BoxManager({
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  imageRootfs: labImage(),
  idBase: 15_000_000 + (names.n % 100) * 2 * 65536,
  maxBoxes: 2,
  network,
  cgroupParent: names.cgroupParent,
  diskBytes: 64 * 2 ** 20,
  saves: { dir: join(work, 'data', 'saves'), maxBytes: 2 ** 26 },
  defaultLimits: { memoryBytes: 2 ** 28, memorySwapBytes: 2 ** 28, pids: 256, cpus: 1, tmpBytes: 2 ** 25 },
});

const hostIfs = new Set<string>();

/** Everything of this test's that could outlive a box, as sorted lines. */
function snapshot(): string[] {
  const items = leftovers([work, ...hostIfs]);
  const loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
  for (const line of loops.split('\n')) if (line.includes(work)) items.push(`loop ${line}`);
  for (const dir of cgroupDirsUnder(names.cgroupParent)) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) items.push(`cgroup ${join(dir, entry.name)}`);
    }
  }
  const bridgePorts = spawnSync('ip', ['-o', 'link', 'show', 'master', names.bridge], {
    encoding: 'utf8',
  }).stdout;
  for (const line of bridgePorts.split('\n').filter(Boolean)) items.push(`port ${line}`);
  for (const dir of ['data/boxes', 'run/boxes', 'run/runtime']) {
    for (const name of existsSync(join(work, dir)) ? readdirSync(join(work, dir)) : []) {
      items.push(`dir ${dir}/${name}`);
    }
  }
  const dyrt = spawnSync('pgrep', ['-a', '-f', join(work, 'run/runtime')], { encoding: 'utf8' }).stdout;
  for (const line of dyrt.split('\n').filter(Boolean)) items.push(`process ${line}`);
  items.push(`records ${manager.list().length}`);
  return items.sort();
}

beforeAll(async () => {
  await manager.init();
});

afterAll(async () => {
  for (const b of manager.list()) await manager.destroy(b.id);
  await removeLabNetwork(network);
  removeCgroupParent(names.cgroupParent);
  rmSync(work, { recursive: true, force: true });
});

describe('box create/destroy cycles', () => {
  it('100 cycles leave no mounts, loop devices, cgroups, veths, shims, records or dirs behind', async () => {
    const before = snapshot();
    expect(before).toEqual(['records 0']);
    // Two boxes at a time (the host's two cores); every tenth pair also makes nested state and a terminal.
    for (let round = 0; round < 50; round++) {
      const pair = await Promise.all([manager.create({ owner: `leak-${round}` }), manager.create()]);
      for (const b of pair) hostIfs.add(b.hostIf);
      if (round % 10 === 0) {
        const [first] = pair;
        if (!first) throw new Error('no box');
        await manager.exec(first.id, [
          'sh',
          '-c',
          'mkdir /sys/fs/cgroup/pids/x 2>/dev/null || mkdir /sys/fs/cgroup/x; ip netns add n1; mkdir -p /tmp/a && mount -t tmpfs t /tmp/a; echo x > /root/f',
        ]);
        await manager.startTerminal(first.id, join(manager.terminalsDir(first.id), 't1'), {
          rows: 24,
          cols: 80,
        });
        await Promise.all([manager.destroy(first.id, { save: true }), manager.destroy(pair[1].id)]);
      } else {
        await Promise.all(pair.map((b) => manager.destroy(b.id)));
      }
    }
    // Exiting shims linger for a moment for late readers.
    for (let i = 0; i < 50 && snapshot().some((l) => l.startsWith('process')); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(snapshot()).toEqual(before);
    expect(manager.layers?.has('leak-0')).toBe(true);
  });
});
