import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxManager, type BoxRecord } from '../src/boxes/manager.js';
import { boxMac, removeLabNetwork } from '../src/boxes/network.js';
import { removeCgroupParent } from './helpers.js';

const suffix = Math.random().toString(16).slice(2, 6);
const network = {
  bridge: `dytlab${suffix}`,
  subnet: `10.232.${Number.parseInt(suffix, 16) % 250}.0/24`,
  chain: `DYTEST-LABS-${suffix}`,
};
const work = mkdtempSync(join(tmpdir(), 'dy-boxes-'));
chmodSync(work, 0o711);
// A bind source with a filesystem mounted inside it (as the image cache can have): its bind must be recursive.
const bindSource = join(work, 'bind-source');
const bindSubmount = join(bindSource, 'sub');
const imageRootfs = execFileSync(
  'bash',
  [join(import.meta.dirname, '../../../infra/images/build.sh'), 'lab-debian'],
  {
    encoding: 'utf8',
  },
).trim();

const manager = new BoxManager({
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  imageRootfs,
  idBase: 3_000_000 + (Number.parseInt(suffix, 16) % 100) * 4 * 65536,
  maxBoxes: 4,
  network,
  cgroupParent: `/dytest-boxes-${suffix}`,
  defaultLimits: {
    memoryBytes: 512 * 2 ** 20,
    memorySwapBytes: 512 * 2 ** 20,
    pids: 512,
    cpus: 1,
    tmpBytes: 256 * 2 ** 20,
  },
  extraBinds: [{ source: bindSource, target: '/opt/dytest-bind', readonly: true }],
});

let box: BoxRecord;
let other: BoxRecord;
const sh = (script: string, target = box) => manager.exec(target.id, ['sh', '-c', script]);

beforeAll(async () => {
  mkdirSync(bindSubmount, { recursive: true, mode: 0o755 });
  chmodSync(bindSource, 0o755);
  writeFileSync(join(bindSource, 'top.txt'), 'top\n');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=755', 'dytest-bind', bindSubmount]);
  writeFileSync(join(bindSubmount, 'inner.txt'), 'inner\n');
  await manager.init();
  box = await manager.create({ owner: 'student-a' });
  other = await manager.create({ owner: 'student-b' });
});

afterAll(async () => {
  spawnSync('umount', [bindSubmount]);
  for (const b of manager.list()) await manager.destroy(b.id);
  await removeLabNetwork(network);
  rmSync(work, { recursive: true, force: true });
  removeCgroupParent(`/dytest-boxes-${suffix}`);
});

describe('inside a lab box, what a student types works', () => {
  it('is root with its own hostname, but nobody on the host', async () => {
    expect((await sh('id -u; hostname')).trim()).toBe('0\nlab');
    const status = execFileSync('cat', [`/proc/${box.pid}/status`], { encoding: 'utf8' });
    expect(status).toMatch(new RegExp(`^Uid:\\s+${box.idBase}\\b`, 'm'));
  });

  it('runs unshare -p -f --mount-proc ps', async () => {
    const out = await sh('unshare -p -f --mount-proc ps -e -o pid=,comm=');
    expect(
      out
        .trim()
        .split('\n')
        .map((line) => line.trim()),
    ).toEqual(['1 ps']);
  });

  it('mounts an overlay in /tmp with copy-up and whiteouts', async () => {
    const out = await sh(
      'cd /tmp && mkdir l u w m && echo lower > l/a && echo keep > l/b && mount -t overlay overlay -o lowerdir=l,upperdir=u,workdir=w,userxattr m && echo new > m/a && rm m/b && cat l/a u/a && stat -c %F u/b',
    );
    expect(out).toBe('lower\nnew\ncharacter special file\n');
  });

  it('builds two network namespaces joined by a veth and pings across', async () => {
    const out = await sh(
      'ip netns add blue && ip link add veth-a type veth peer name veth-b && ip link set veth-b netns blue && ip addr add 10.9.0.1/24 dev veth-a && ip link set veth-a up && nsenter --net=/run/netns/blue sh -c "ip addr add 10.9.0.2/24 dev veth-b && ip link set veth-b up && ip link set lo up" && ping -c1 -W2 10.9.0.2 >/dev/null && echo pong',
    );
    expect(out.trim()).toBe('pong');
  });

  it('creates a cgroup with a memory limit that stops a hog', async () => {
    const out = await sh(
      'mkdir /sys/fs/cgroup/memory/demo 2>/dev/null || mkdir /sys/fs/cgroup/demo; if [ -d /sys/fs/cgroup/memory/demo ]; then d=/sys/fs/cgroup/memory/demo; echo 32M > $d/memory.limit_in_bytes; else d=/sys/fs/cgroup/demo; echo 32M > $d/memory.max; fi; sh -c "echo \\$\\$ > $d/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null"; echo "exit=$?"',
    );
    expect(out.trim()).toBe('exit=137');
  });
});

describe('binds into a box', () => {
  it('binds a source that has a submount, recursively and read-only', async () => {
    expect(await sh('cat /opt/dytest-bind/top.txt /opt/dytest-bind/sub/inner.txt')).toBe('top\ninner\n');
    const write = await sh('touch /opt/dytest-bind/new 2>&1; echo "status=$?"');
    expect(write).toMatch(/Read-only file system/);
    expect(write).toMatch(/status=1/);
  });
});

describe('a lab box is fenced in', () => {
  it('cannot raise its own cgroup limits', async () => {
    const out = await sh(
      'f=/sys/fs/cgroup/memory/memory.limit_in_bytes; [ -f $f ] || f=/sys/fs/cgroup/memory.max; echo 9G > $f 2>&1 && echo raised || echo refused',
    );
    expect(out.trim()).toBe('refused');
  });

  it('cannot reach the host or another box, while the host reaches it', async () => {
    const gateway = network.subnet.replace(/\.0\/24$/, '.1');
    expect((await sh(`ping -c1 -W1 ${gateway} >/dev/null 2>&1 && echo reached || echo blocked`)).trim()).toBe(
      'blocked',
    );
    expect(
      (await sh(`ping -c1 -W1 ${other.address} >/dev/null 2>&1 && echo reached || echo blocked`)).trim(),
    ).toBe('blocked');
    expect(spawnSync('ping', ['-c1', '-W2', box.address]).status).toBe(0);
  });

  it('has a MAC derived from its address, so a later box with the address is reached at once', async () => {
    expect(boxMac('10.231.0.2')).toBe('02:42:0a:e7:00:02');
    expect((await sh('cat /sys/class/net/eth0/address')).trim()).toBe(boxMac(box.address));
    const neighbour = execFileSync('ip', ['neigh', 'show', box.address], { encoding: 'utf8' });
    expect(neighbour).toContain(boxMac(box.address));
  });

  it('does not see the host processes', async () => {
    const out = await sh('ps -e -o comm= | wc -l');
    expect(Number(out.trim())).toBeLessThan(10);
  });
});

describe('box life cycle', () => {
  it('destroys a box without leaving mounts, veths or cgroups', async () => {
    const extra = await manager.create();
    await manager.exec(extra.id, [
      'sh',
      '-c',
      'mkdir /sys/fs/cgroup/pids/x 2>/dev/null || mkdir /sys/fs/cgroup/x',
    ]);
    await manager.destroy(extra.id);
    const mounts = execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' });
    expect(mounts).not.toContain(extra.id);
    expect(spawnSync('ip', ['link', 'show', extra.hostIf]).status).not.toBe(0);
    expect(existsSync(`/sys/fs/cgroup/pids/dytest-boxes-${suffix}/${extra.id}`)).toBe(false);
    expect(existsSync(`/proc/${extra.pid}`)).toBe(false);
  });

  it('refuses a box beyond the host capacity with a clear error', async () => {
    const made = [await manager.create(), await manager.create()];
    await expect(manager.create()).rejects.toThrow(/capacity of 4 lab boxes/);
    for (const b of made) await manager.destroy(b.id);
  });
});
